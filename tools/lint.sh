#!/usr/bin/env bash
# clang-tidy over every first-party source file (tests excluded), using the
# release build's compile database. Warnings are errors (.clang-tidy).
#   tools/lint.sh          every check, clang-analyzer-* included (`make lint`)
#   tools/lint.sh --fast   every check but clang-analyzer-* (`make test`:
#                          the analyzer alone triples the time)
#   tools/lint.sh [--fast] FILE...   only these files
#   --no-cache             check every file, whatever tools/lint.cache says
#
# tools/lint.cache records the inputs of each file's last clean run (the file,
# every header it includes, its flags, .clang-tidy and the clang-tidy version;
# tools/lint_cache.py). A file whose inputs are all unchanged would get the
# same verdict, so it is not checked again; the keys of the files found clean
# are added to the cache. Commit the cache with the change, so that CI checks
# only what the change touched.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=full
extra=()
use_cache=1
while (($#)); do
  case $1 in
    --fast) mode=fast; extra=(--checks=-clang-analyzer-*); shift ;;
    --no-cache) use_cache=0; shift ;;
    *) break ;;
  esac
done
[[ ${MXAUTH_LINT_CACHE:-1} == 0 ]] && use_cache=0
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
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
todo=("${files[@]}")
if ((use_cache)); then
  mapfile -t todo < <(python3 tools/lint_cache.py keys --db "$db" --mode "$mode" \
    --out "$work/keys" "${files[@]}")
fi
skipped=$((${#files[@]} - ${#todo[@]}))
status=0
if ((${#todo[@]})); then
  # One file per clang-tidy, so that each clean file is known (and recorded).
  export db work
  printf '%s\n' "${todo[@]}" |
    xargs -P "$(nproc)" -I{} bash -c \
      'if clang-tidy -p "$db" --quiet "$@" "{}" >"$work/$(echo "{}" | tr / _).log" 2>/dev/null
       then echo "{}" >>"$work/clean"; else exit 1; fi' _ "${extra[@]}" || status=$?
fi
if ((use_cache)) && [[ -s $work/clean ]]; then
  python3 tools/lint_cache.py record --keys "$work/keys" --clean "$work/clean" --mode "$mode"
fi
if ((status)); then
  for log in "$work"/*.log; do
    grep -E -A3 '(warning|error):' "$log" >&2 || true
  done
  echo "lint: clang-tidy found problems (above)" >&2
  exit 1
fi
echo "lint: ok (${#todo[@]} files checked, $skipped unchanged since a clean run${extra:+; without clang-analyzer})"
