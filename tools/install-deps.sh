#!/usr/bin/env bash
# Installs every Debian package mxauth needs to build, test and benchmark.
# Idempotent: installs only what is missing, so `make run` and `make test`
# call it on every run at almost no cost.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config ccache git ca-certificates
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev libcurl4-openssl-dev libpq-dev libsqlite3-dev libargon2-dev libcrypt-dev
  libkainjow-mustache-dev libyaml-cpp-dev libcli11-dev libspdlog-dev libfmt-dev
  prometheus-cpp-dev libicu-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang-format
  postgresql postgresql-client
  nodejs npm chromium
  wrk curl procps
)
if [[ "${MXAUTH_DEPS:-}" == "build" ]]; then
  packages=("${packages[@]:0:20}")
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# Node/npm may come from elsewhere (the dev machines ship Node 20 outside dpkg).
if command -v node >/dev/null && command -v npm >/dev/null; then
  filtered=()
  for p in "${missing[@]}"; do [[ "$p" == nodejs || "$p" == npm ]] || filtered+=("$p"); done
  missing=("${filtered[@]}")
fi
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
sudo=""
[[ $(id -u) -ne 0 ]] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
