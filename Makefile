# The commands the README names. `make test` is what CI runs.
.PHONY: test demo bench loom fmt

CARGO ?= cargo

test:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) test --workspace
	$(MAKE) loom

# Model-check the task state word with loom (its own target dir, so the
# --cfg loom build does not invalidate the normal one).
loom:
	RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom $(CARGO) test -p aio-executor --release --lib loom

# Both course programs against a local stand-in for jsonplaceholder: offline.
demo:
	$(CARGO) build --examples
	./scripts/demo.sh

fmt:
	$(CARGO) fmt --all
