#!/usr/bin/env bash
# make soak: the long runs of the reliability suite (issue 7, C), the same
# tests `make test` runs quickly, scaled up. Against the release build and a
# throw-away PostgreSQL cluster, like make test.
#
#   MXAUTH_SOAK_SCALE   multiplier of the default sizes (default 10)
#   MXAUTH_SOAK_SEED    seed of the seeded generators (default: the date)
#   MXAUTH_FUZZ_SECONDS when clang is installed, also `make fuzz` for that
#                       long per target (default 0: skipped)
set -euo pipefail
cd "$(dirname "$0")/.."
scale=${MXAUTH_SOAK_SCALE:-10}
seed=${MXAUTH_SOAK_SEED:-$(date -u +%Y%m%d)}
say() { printf '\n== %s\n' "$*"; }

pgdir=$(mktemp -d /tmp/mxauth-soak-pg.XXXXXX)
trap 'tools/pg-test-cluster.sh stop "$pgdir" >/dev/null 2>&1 || true' EXIT
MXAUTH_TEST_POSTGRES_URI=$(tools/pg-test-cluster.sh start "$pgdir")
export MXAUTH_TEST_POSTGRES_URI MXAUTH_REQUIRE_POSTGRES=1

export MXAUTH_BIN=$PWD/build/release/mxauth
export SYNAPSE_DOUBLE_BIN=$PWD/build/release/synapse-double
# The e2e packages, as tests/e2e/run.sh installs them.
(cd tests/e2e && { [[ -f node_modules/.package-lock.json ]] && cmp -s package-lock.json node_modules/.mxauth-lock; } ||
  { npm ci --no-audit --no-fund --loglevel=error && cp package-lock.json node_modules/.mxauth-lock; })

run() {  # name, env assignments..., then the test file
  local name=$1; shift
  say "$name"
  local started=$SECONDS
  (cd tests/e2e && env "$@")
  echo "$name: $((SECONDS - started)) s"
}

run "malformed traffic: $((10500 * scale)) requests, seed $seed" \
  MXAUTH_MALFORMED_REQUESTS=$((10500 * scale)) MXAUTH_MALFORMED_SEED="$seed" \
  node --test tests/malformed_traffic.test.js
run "crash safety: $((3 * scale)) kills per backend, seed $seed" \
  MXAUTH_CRASH_ROUNDS=$((3 * scale)) MXAUTH_CRASH_SEED="$seed" \
  node --test tests/crash_safety.test.js
run "slow clients: slowloris for $((8 * scale)) s" \
  MXAUTH_SLOW_LORIS_SECONDS=$((8 * scale)) node --test tests/slow_clients.test.js
# Parallel logins and registrations (each hashes a password) stay within
# what the password pool admits at once (its threads plus its queue, 68 on
# two cores); more would rightly get 503.
logins=$((20 * scale < 60 ? 20 * scale : 60))
registrants=$((12 * scale < 60 ? 12 * scale : 60))
run "races: $logins parallel logins, $registrants registrants" \
  MXAUTH_RACE_LOGINS=$logins MXAUTH_RACE_REGISTRANTS=$registrants \
  node --test tests/login_races.test.js tests/token_races.test.js
run "two instances" node --test tests/two_instances.test.js

if [[ ${MXAUTH_FUZZ_SECONDS:-0} -gt 0 ]]; then
  say "fuzzing, ${MXAUTH_FUZZ_SECONDS} s per target"
  tools/fuzz.sh
fi
say "soak passed"
