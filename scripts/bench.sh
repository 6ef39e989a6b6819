#!/usr/bin/env bash
# `make bench` / `make bench-quick`: aio against its peers (tokio, smol,
# reqwest, and wrk as the limit), interleaved rounds, a markdown table on
# stdout and target/bench/results.{md,json}. See BENCHMARKS.md.
#
#   scripts/bench.sh [--quick] [driver options: --rounds N, --only w1,w2]
#
# Builds, in release: the server and the aio count_posts example from the
# root workspace, and the candidates from bench/ (its own workspace). Installs
# wrk and nginx with apt-get when they are missing and we are root; goes on
# without them otherwise (without nginx the HTTP rows run against serve_posts).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

# ensure PACKAGE COMMAND: apt-get installs PACKAGE when COMMAND is missing
# and we are root; otherwise we go on without it (the driver says so).
ensure() {
    local package=$1 command=$2
    if command -v "$command" >/dev/null 2>&1 || [[ -x /usr/sbin/$command ]]; then
        return
    fi
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        echo "bench: installing $package with apt-get" >&2
        if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$package" >/dev/null 2>&1; then
            DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null 2>&1 || true
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$package" >/dev/null 2>&1 ||
                echo "bench: could not install $package; going on without it" >&2
        fi
    else
        echo "bench: $command is missing (and apt-get is not usable here); going on without it" >&2
    fi
}
ensure wrk wrk
# The HTTP rows' server. The driver runs its own instance with its own
# config; where the package starts the system's nginx service, that one is
# left alone.
ensure nginx nginx
# The HTTP/2 rows' limit, as wrk is for HTTP/1.1.
ensure nghttp2-client h2load
if ! command -v taskset >/dev/null 2>&1; then
    echo "bench: taskset is missing; the HTTP server and clients will run unpinned" >&2
fi

echo "bench: building (release)" >&2
cargo build --release --quiet --example serve_posts --example count_posts
(cd bench && cargo build --release --quiet --bins)

# The bench workspace's target dir holds the driver and the candidates.
bench_target="${CARGO_TARGET_DIR:-$root/bench/target}"
if [[ -n "${CARGO_TARGET_DIR:-}" ]]; then
    echo "bench: CARGO_TARGET_DIR is set; both workspaces share $CARGO_TARGET_DIR" >&2
fi
examples="${CARGO_TARGET_DIR:-$root/target}/release/examples"
exec "$bench_target/release/driver" --root "$root" --examples "$examples" \
    --out "$root/target/bench" "$@"
