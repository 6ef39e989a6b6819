#!/usr/bin/env bash
# Doc coverage per workspace crate, two ways:
# - rustdoc's own count (--show-coverage): items with docs, and items with an
#   example out of those rustdoc thinks should have one. It skips the methods
#   of types defined in private modules and re-exported (every aio crate is
#   laid out so), so its totals are low;
# - scripts/doc-examples.py over rustdoc's JSON: every item a user can name
#   (types, functions, macros, inherent and trait methods), and how many of
#   those have a doc example.
# Needs a nightly toolchain (both outputs are unstable rustdoc options): a
# tool for developers, not part of `make test`. Its own target dir keeps the
# nightly build out of the normal one. `--missing` lists what lacks an example.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=
if [ "${1:-}" = --missing ]; then missing=--missing; shift; fi
crates=(aio aio-reactor aio-executor aio-sync aio-http aio-macros)
[ "$#" -gt 0 ] && crates=("$@")
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target/doc-coverage}"

printf '%-13s | %-33s | %s\n' "" "rustdoc --show-coverage" "public items (doc-examples.py)"
printf '%-13s | %6s %11s %14s | %6s %11s %14s\n' crate items documented "with examples" \
    items documented "with examples"
for crate in "${crates[@]}"; do
    # One object per file: {"total", "with_docs", "total_examples", "with_examples"}.
    coverage=$(cargo +nightly rustdoc --quiet -p "$crate" -- \
        -Z unstable-options --show-coverage --output-format json |
        jq -r '[.[]] | "\(map(.total) | add) \(map(.with_docs) | add) \(map(.with_examples) | add)/\(map(.total_examples) | add)"')
    cargo +nightly rustdoc --quiet -p "$crate" -- -Z unstable-options --output-format json
    json="$CARGO_TARGET_DIR/doc/${crate//-/_}.json"
    if [ -n "$missing" ]; then
        echo "$crate:"
        scripts/doc-examples.py "$json" --missing
        continue
    fi
    read -r total documented with total_examples < <(scripts/doc-examples.py "$json")
    read -r c_total c_documented c_examples <<<"$coverage"
    printf '%-13s | %6s %11s %14s | %6s %11s %14s\n' "$crate" "$c_total" "$c_documented" \
        "$c_examples" "$total" "$documented" "$with/$total_examples"
done
