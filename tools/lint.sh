#!/usr/bin/env bash
# clang-tidy over every first-party source file (tests excluded), using the
# release build's compile database. Warnings are errors (.clang-tidy).
#   tools/lint.sh          every check, clang-analyzer-* included (`make lint`)
#   tools/lint.sh --fast   every check but clang-analyzer-* (`make test`:
#                          the analyzer alone triples the time)
#   tools/lint.sh [--fast] FILE...   only these files
set -euo pipefail
cd "$(dirname "$0")/.."
extra=()
if [[ ${1:-} == --fast ]]; then
  extra=(--checks=-clang-analyzer-*)
  shift
fi
db=build/release
[[ -f $db/compile_commands.json ]] || { echo "lint: build first (make build)" >&2; exit 1; }
if (($#)); then
  files=("$@")
else
  mapfile -t files < <(git ls-files 'src/*.cpp' | grep -v '_test\.cpp$')
fi
# clang-tidy would guess the flags of a file missing from the compile
# database (e.g. one built in a unity batch) and report nonsense.
missing=()
for f in "${files[@]}"; do
  grep -qF "\"file\": \"$PWD/$f\"" "$db/compile_commands.json" || missing+=("$f")
done
if ((${#missing[@]})); then
  printf 'lint: not in %s/compile_commands.json (unity-built?):\n' "$db" >&2
  printf '  %s\n' "${missing[@]}" >&2
  exit 1
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! printf '%s\n' "${files[@]}" |
  xargs -P "$(nproc)" -n 2 clang-tidy -p "$db" --quiet "${extra[@]}" >"$log" 2>/dev/null; then
  grep -E -A3 '(warning|error):' "$log" >&2 || cat "$log" >&2
  echo "lint: clang-tidy found problems (above)" >&2
  exit 1
fi
echo "lint: ok (${#files[@]} files${extra:+, without clang-analyzer})"
