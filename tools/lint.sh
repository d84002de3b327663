#!/usr/bin/env bash
# clang-tidy over every first-party source file (not tests), using the
# release build's compile database. Warnings are errors (.clang-tidy).
set -euo pipefail
cd "$(dirname "$0")/.."
db=build/release
[[ -f $db/compile_commands.json ]] || { echo "lint: build first (make build)" >&2; exit 1; }
mapfile -t files < <(git ls-files 'src/*.cpp' | grep -v '_test\.cpp$')
printf '%s\n' "${files[@]}" | xargs -P "$(nproc)" -n 4 clang-tidy -p "$db" --quiet 2>/dev/null
echo "lint: ok (${#files[@]} files)"
