#!/usr/bin/env bash
# make bench: installs the reference provider's npm packages from its lock
# file when needed, then runs bench/run.mjs (bench/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
ref=bench/oidc-provider
if [[ ! -d $ref/node_modules/oidc-provider || $ref/package-lock.json -nt $ref/node_modules/.package-lock.json ]]; then
  (cd "$ref" && npm ci --no-audit --no-fund --loglevel=error)
fi
exec node bench/run.mjs
