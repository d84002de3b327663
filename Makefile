# mxauth: the two commands of the README, and a few more for developers.
#   make run    install what is missing, build, serve on http://127.0.0.1:8080/ (SQLite)
#   make test   install what is missing, build, run every test (PostgreSQL included)

SHELL := /bin/bash
JOBS ?= $(shell nproc)

.PHONY: all deps build run test test-fast format format-check lint bench bench-smoke soak fuzz install clean

all: build

deps:
	@tools/install-deps.sh all

# What `make run` needs: the server binary only.
build:
	@tools/install-deps.sh build
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS) --target mxauth

run: build
	@mkdir -p data
	./build/release/mxauth serve

test: deps
	@tools/test.sh

# The release build's tests only (no sanitizer pass, no format check).
test-fast: deps
	@MXAUTH_TEST_STAGES=release tools/test.sh

format:
	@git ls-files '*.cpp' '*.h' | xargs clang-format -i

format-check:
	@tools/check-format.sh

lint: deps
	@cmake --preset release >/dev/null
	@tools/lint.sh

BENCH_TARGETS := mxauth synapse-double bench_static_server bench_primitives bench_prefill bench_login_load

bench: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS) --target $(BENCH_TARGETS)
	@bench/run.sh

# A few seconds per workload and a small prefill: checks that make bench works.
bench-smoke: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS) --target $(BENCH_TARGETS)
	@MXAUTH_BENCH_SECONDS=$${MXAUTH_BENCH_SECONDS:-2} MXAUTH_BENCH_SCALE_USERS=$${MXAUTH_BENCH_SCALE_USERS:-1000} \
	  MXAUTH_BENCH_SCALE_TOKENS=$${MXAUTH_BENCH_SCALE_TOKENS:-10000} bench/run.sh

# The long runs of the reliability suite (tools/soak.sh): MXAUTH_SOAK_SCALE (10)
# times the sizes make test uses, on both backends.
soak: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS)
	@tools/soak.sh

# libFuzzer targets (clang, ASan + UBSan), MXAUTH_FUZZ_SECONDS (60) each.
fuzz:
	@tools/install-deps.sh fuzz
	@tools/fuzz.sh

install: build
	install -m 0755 build/release/mxauth /usr/local/bin/mxauth

clean:
	rm -rf build
