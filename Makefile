# The commands the README names. `make test` is what CI runs.
.PHONY: test demo bench bench-quick fuzz soak loom fmt

CARGO ?= cargo

test:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	# aio-http's other feature sets (the line above builds it with the tests'
	# features): no decoders and no jar, then the jar alone, then HTTP/2 alone. clippy rather
	# than check, so that a warning in code only these sets compile fails.
	$(CARGO) clippy -p aio-http --no-default-features -- -D warnings
	$(CARGO) clippy -p aio-http --no-default-features --features cookies -- -D warnings
	$(CARGO) clippy -p aio-http --no-default-features --features http2 -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --no-deps --workspace
	$(CARGO) test --workspace
	$(MAKE) loom

# Model-check the task state word, the sync primitives and the signal slots with loom (its own target dir, so the
# --cfg loom build does not invalidate the normal one).
loom:
	RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom $(CARGO) test -p aio-executor -p aio-sync -p aio-reactor --release --lib loom

# Both course programs against a local stand-in for jsonplaceholder: offline.
demo:
	$(CARGO) build --examples
	./scripts/demo.sh

fmt:
	$(CARGO) fmt --all

# Peer comparison (tokio, smol, reqwest, wrk) in one interleaved run; the
# bench crate is its own workspace, so `make test` never builds the peers.
bench:
	./scripts/bench.sh

bench-quick:
	./scripts/bench.sh --quick

# Fuzz the response parser with cargo-fuzz on the nightly toolchain.
FUZZ_MINUTES ?= 5
fuzz:
	./scripts/fuzz.sh $(FUZZ_MINUTES)

# Long-running load tests, kept out of `make test`.
soak:
	$(CARGO) test --release -p aio --test soak -- --ignored --nocapture --test-threads=1
