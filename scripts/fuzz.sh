#!/usr/bin/env bash
# Fuzz aio-http's sans-IO response decoder with cargo-fuzz (libFuzzer) on
# the nightly toolchain.
#
#   scripts/fuzz.sh [MINUTES]     (default 5; `make fuzz FUZZ_MINUTES=...`)
#
# Installs cargo-fuzz if it is missing, seeds the corpus on first use, runs
# the `response_decoder` target for MINUTES minutes, prints the number of
# executions, and exits non-zero if libFuzzer found a crash (the input is
# then in fuzz/artifacts/response_decoder/). The corpus and artifacts are
# kept between runs and ignored by git.
set -euo pipefail

minutes="${1:-5}"
if ! [[ "$minutes" =~ ^[0-9]+$ ]] || [ "$minutes" -lt 1 ]; then
    echo "usage: $0 [MINUTES]   (a whole number of minutes, at least 1)" >&2
    exit 2
fi
target=response_decoder
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "fuzz: installing cargo-fuzz" >&2
    cargo install cargo-fuzz --locked
fi

corpus="fuzz/corpus/$target"
mkdir -p "$corpus" "fuzz/artifacts/$target"
if [ -z "$(ls -A "$corpus")" ]; then
    # Seeds: 6 control bytes (method/limit, limit, two split positions),
    # then a response. See fuzz/fuzz_targets/response_decoder.rs.
    seed() { printf '%b' "$2" >"$corpus/seed-$1"; }
    seed length '\x00\x00\x07\x00\x20\x00HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello'
    seed chunked '\x00\x00\x10\x00\x30\x00HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;a=b\r\nWiki\r\n5\r\npedia\r\n0\r\nX-T: 1\r\n\r\n'
    seed close '\x00\x00\x05\x00\x19\x00HTTP/1.0 200 OK\r\nServer: x\r\n\r\nuntil close'
    seed head '\x01\x00\x03\x00\x09\x00HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n'
    seed informational '\x02\x00\x0a\x00\x1c\x00HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok'
    seed limit '\x10\x04\x0c\x00\x28\x00HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n'
    seed connect '\x03\x00\x02\x00\x11\x00HTTP/1.1 200 Connection established\r\n\r\ntunnel bytes'
    seed leftover '\x00\x00\x04\x00\x08\x00HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcHTTP/1.1 200 OK\r\n\r\n'
fi

log="$(mktemp)"
trap 'rm -f "$log"' EXIT
seconds=$((minutes * 60))
echo "fuzz: running $target for $minutes minute(s)" >&2
set +e
cargo +nightly fuzz run "$target" "$corpus" -- \
    -max_total_time="$seconds" -print_final_stats=1 -max_len=8192 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

execs="$(awk '/^stat::number_of_executed_units:/ {print $2}' "$log" | tail -n 1)"
if [ -z "$execs" ]; then
    # Without final stats (e.g. after a crash): the last progress line.
    execs="$(grep -oE '^#[0-9]+' "$log" | tail -n 1 | tr -d '#')"
fi
echo "fuzz: $target: ${execs:-unknown} executions in up to $minutes minute(s), corpus $(ls "$corpus" | wc -l) inputs"
if [ "$status" -ne 0 ]; then
    echo "fuzz: $target FAILED (exit $status); crash inputs:" >&2
    ls -l "fuzz/artifacts/$target" >&2 || true
    exit "$status"
fi
echo "fuzz: no crash"
