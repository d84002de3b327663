#!/usr/bin/env bash
# End-to-end tests: real clients (openid-client, matrix-js-sdk) and Debian's
# chromium (playwright-core) against the built binary, and the Synapse double
# as the homeserver (tests/e2e/lib/synapse.js).
#   tests/e2e/run.sh [path/to/mxauth]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export MXAUTH_BIN=$(realpath "${1:-$here/../../build/release/mxauth}")
# The Synapse double (tests/synapse_double) built beside it, unless given.
export SYNAPSE_DOUBLE_BIN=${SYNAPSE_DOUBLE_BIN:-$(dirname "$MXAUTH_BIN")/synapse-double}
cd "$here"
# npm ci from the committed lock file; skipped when node_modules matches it.
if [[ ! -f node_modules/.package-lock.json ]] || ! cmp -s package-lock.json node_modules/.mxauth-lock; then
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.mxauth-lock
fi
rm -rf artifacts
exec node --test --test-concurrency=1 --test-reporter=spec tests/
