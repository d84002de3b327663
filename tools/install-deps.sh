#!/usr/bin/env bash
# Installs the Debian packages mxauth needs. Idempotent: installs only what is
# missing, so `make run` and `make test` call it every time at almost no cost.
#
#   tools/install-deps.sh build   what building and running needs (make run)
#   tools/install-deps.sh all     also what the tests and benchmarks need (make test)
#   tools/install-deps.sh fuzz    what building needs, plus clang and libFuzzer (make fuzz)
set -euo pipefail
profile=${1:-all}

build_packages=(
  build-essential cmake ninja-build pkg-config ccache git ca-certificates
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libssl-dev libpq-dev libsqlite3-dev libargon2-dev libcrypt-dev
  libyaml-cpp-dev libcli11-dev libspdlog-dev libfmt-dev
  prometheus-cpp-dev libicu-dev
  libgtest-dev libgmock-dev libbenchmark-dev
)
test_packages=(
  clang-format clang-tidy
  postgresql postgresql-client
  nodejs npm chromium
  wrk curl procps
  python3-aiosmtpd openssl
)
# make fuzz: clang 14 with its libFuzzer and sanitizer runtimes.
fuzz_packages=(clang libclang-rt-14-dev)
case "$profile" in
  build) packages=("${build_packages[@]}") ;;
  fuzz) packages=("${build_packages[@]}" "${fuzz_packages[@]}") ;;
  all) packages=("${build_packages[@]}" "${test_packages[@]}") ;;
  *) echo "usage: $0 [build|all|fuzz]" >&2; exit 2 ;;
esac

missing=()
for p in "${packages[@]}"; do
  # Node.js may come from outside dpkg (the development machines ship Node 20).
  if [[ $p == nodejs || $p == npm ]] && command -v node >/dev/null && command -v npm >/dev/null; then
    continue
  fi
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

echo "install-deps: installing ${missing[*]}" >&2
sudo=""
[[ $(id -u) -ne 0 ]] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
