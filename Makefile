# mxauth: the two commands of the README, and a few more for developers.
#   make run    install what is missing, build, serve on http://127.0.0.1:8080/ (SQLite)
#   make test   install what is missing, build, run every test (PostgreSQL included)

SHELL := /bin/bash
JOBS ?= $(shell nproc)

.PHONY: all deps build run test test-fast format format-check lint bench bench-smoke fuzz install clean

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

bench: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS) --target mxauth bench_static_server
	@bench/run.sh

bench-smoke: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j $(JOBS) --target mxauth bench_static_server
	@MXAUTH_BENCH_SECONDS=2 bench/run.sh

# libFuzzer targets (clang, ASan + UBSan), MXAUTH_FUZZ_SECONDS (60) each.
fuzz:
	@tools/install-deps.sh fuzz
	@tools/fuzz.sh

install: build
	install -m 0755 build/release/mxauth /usr/local/bin/mxauth

clean:
	rm -rf build
