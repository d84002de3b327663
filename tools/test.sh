#!/usr/bin/env bash
# `make test`: every check the project promises, in order:
#   1. source checks (clang-format, banned APIs)
#   2. release build + all CTest tests (unit, storage conformance on SQLite AND
#      PostgreSQL, server integration tests); clang-tidy (tools/lint.sh --fast:
#      every .clang-tidy check but the slow clang-analyzer) runs alongside the
#      later stages at low priority and is waited for at the end
#   3. the same tests again under AddressSanitizer + UndefinedBehaviorSanitizer
#   4. end-to-end tests with real clients (tests/e2e, when present)
# A throw-away PostgreSQL cluster is started for the run and removed after.
# MXAUTH_TEST_STAGES (comma list of: checks,release,lint,asan,e2e) narrows the run.
set -euo pipefail
cd "$(dirname "$0")/.."
stages=",${MXAUTH_TEST_STAGES:-checks,release,lint,asan,e2e},"
jobs=$(nproc)
start=$(date +%s)
say() { printf '\n== %s (%ss)\n' "$*" "$(( $(date +%s) - start ))"; }

if [[ $stages == *,checks,* ]]; then
  say "source checks"
  tools/check-format.sh
  tools/check-banned.sh
fi

# The tests' files (SQLite databases, the PostgreSQL cluster, the servers'
# data directories) go to a RAM file system when there is one: they are real
# files all the same, but the thousands of fsyncs of a run cost nothing there
# (a SQLite test takes a third of the time). Nothing in them outlives the run.
scratch=""
if [[ -d /dev/shm && -w /dev/shm && -z ${MXAUTH_TEST_TMPDIR:-} ]]; then
  scratch=$(mktemp -d /dev/shm/mxauth-test.XXXXXX)
  chmod 755 "$scratch"  # the cluster runs as `postgres` when we are root
  export TMPDIR=$scratch
elif [[ -n ${MXAUTH_TEST_TMPDIR:-} ]]; then
  export TMPDIR=$MXAUTH_TEST_TMPDIR
fi
pgdir=$(mktemp -d "${TMPDIR:-/tmp}/mxauth-pg.XXXXXX")
cleanup() {
  if [[ -n ${lint_pid:-} ]]; then kill -- "-$lint_pid" 2>/dev/null || true; fi
  rm -f "${lint_log:-}"
  tools/pg-test-cluster.sh stop "$pgdir" >/dev/null 2>&1 || true
  if [[ -n $scratch ]]; then rm -rf "$scratch"; fi
}
trap cleanup EXIT
say "starting a throw-away PostgreSQL cluster"
MXAUTH_TEST_POSTGRES_URI=$(tools/pg-test-cluster.sh start "$pgdir")
export MXAUTH_TEST_POSTGRES_URI
export MXAUTH_REQUIRE_POSTGRES=1
echo "PostgreSQL at $MXAUTH_TEST_POSTGRES_URI"

run_ctest() {  # preset
  ctest --preset "$1" -j "$jobs" --timeout 300 --no-tests=error
}

if [[ $stages == *,release,* || $stages == *,e2e,* || $stages == *,lint,* ]]; then
  say "release build"
  cmake --preset release >/dev/null
  cmake --build --preset release -j "$jobs"
fi
# clang-tidy needs only the release build's compile database, so it runs in
# the background at low priority while the tests run, and is waited for at
# the end; its findings fail the run like any test.
lint_pid=""
lint_log=$(mktemp /tmp/mxauth-lint.XXXXXX)
if [[ $stages == *,lint,* ]]; then
  say "clang-tidy (in the background)"
  # Its own process group (so that cleanup can stop it whole); setsid also
  # makes it its own scheduler autogroup, where nice alone means nothing, so
  # the new autogroup is niced too, from inside, once it exists.
  setsid bash -c 'echo 19 >/proc/self/autogroup 2>/dev/null; exec nice -n 15 tools/lint.sh --fast' \
    >"$lint_log" 2>&1 &
  lint_pid=$!
fi
if [[ $stages == *,release,* ]]; then
  say "release tests"
  run_ctest release
fi
if [[ $stages == *,asan,* ]]; then
  say "asan-ubsan build"
  cmake --preset asan-ubsan >/dev/null
  cmake --build --preset asan-ubsan -j "$jobs"
  say "asan-ubsan tests"
  run_ctest asan-ubsan
fi
if [[ $stages == *,e2e,* && -x tests/e2e/run.sh ]]; then
  say "end-to-end tests"
  tests/e2e/run.sh build/release/mxauth
fi
if [[ -n $lint_pid ]]; then
  say "waiting for clang-tidy"
  lint_status=0
  wait "$lint_pid" || lint_status=$?
  lint_pid=""
  cat "$lint_log"
  [[ $lint_status -eq 0 ]] || { echo "clang-tidy failed" >&2; exit 1; }
fi
say "all tests passed"
