#!/usr/bin/env bash
# Fails when a tracked C++ file is not clang-formatted.
set -euo pipefail
cd "$(dirname "$0")/.."
bad=()
while IFS= read -r f; do
  if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then bad+=("$f"); fi
done < <(git ls-files '*.cpp' '*.h')
if [[ ${#bad[@]} -gt 0 ]]; then
  echo "clang-format: these files need formatting (run 'make format'):" >&2
  printf '  %s\n' "${bad[@]}" >&2
  exit 1
fi
echo "format: ok"
