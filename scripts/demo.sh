#!/usr/bin/env bash
# `make demo`: runs the two course examples against a local stand-in for
# jsonplaceholder (examples/serve_posts/), so the demo works offline.
# Expects `cargo build --examples` to have run (the Makefile does that).
set -euo pipefail
cd "$(dirname "$0")/.."

bin="${CARGO_TARGET_DIR:-target}/debug/examples"
for program in serve_posts count_posts fetch_titles; do
    if [[ ! -x "$bin/$program" ]]; then
        echo "demo: $bin/$program is missing; run: cargo build --examples" >&2
        exit 1
    fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/aio-demo.XXXXXX")
server_pid=
cleanup() {
    if [[ -n "$server_pid" ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# --max-seconds: should this script be killed before its trap runs, the
# server still goes away by itself. Its stderr stays on the terminal, where
# TLS handshake failures show up.
"$bin/serve_posts" --max-seconds 120 --ca-file "$work/ca.pem" >"$work/server.out" &
server_pid=$!

# The server prints two lines once it accepts connections:
#   listening on https://127.0.0.1:PORT
#   CA certificate: PATH
for _ in $(seq 100); do
    [[ $(wc -l <"$work/server.out") -ge 2 ]] && break
    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "demo: serve_posts exited before it was ready" >&2
        exit 1
    fi
    sleep 0.1
done
url=$(sed -n 's/^listening on //p' "$work/server.out")
ca=$(sed -n 's/^CA certificate: //p' "$work/server.out")
if [[ -z "$url" || -z "$ca" ]]; then
    echo "demo: serve_posts did not report its address within 10 s; it printed:" >&2
    cat "$work/server.out" >&2
    exit 1
fi
echo "demo: stand-in server at $url (CA $ca)"

status=0
for program in count_posts fetch_titles; do
    echo
    echo "\$ $program"
    if ! JSONPLACEHOLDER_URL="$url" SSL_CERT_FILE="$ca" "$bin/$program"; then
        echo "demo: $program failed" >&2
        status=1
    fi
done
exit "$status"
