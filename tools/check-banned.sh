#!/usr/bin/env bash
# Time and randomness are inputs (design §12): only src/core may read the
# real clock or the OS CSPRNG. No C string functions. Headers never say
# `using namespace`.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
if hits=$(git grep -nE 'system_clock::now|std::random_device|[^a-z_]s?rand\(' -- 'src/*.cpp' 'src/*.h' ':!src/core/*'); then
  echo "banned API outside src/core (use Clock&/Rng& parameters):" >&2
  echo "$hits" >&2
  status=1
fi
# C string functions: std::string, std::string_view and std::format instead
# (clang-tidy's C-string checks are off for cost, .clang-tidy says why).
if hits=$(git grep -nE '[^a-z_.:>](strcpy|strcat|strncpy|strncat|sprintf|vsprintf|gets|strcmp|strncmp|strcasecmp|strtok)\(' -- 'src/*.cpp' 'src/*.h' 'tests/*.cpp' 'tests/*.h' 'bench/*.cpp'); then
  echo "C string function (use std::string / std::string_view):" >&2
  echo "$hits" >&2
  status=1
fi
if hits=$(git grep -nE '^\s*using namespace' -- 'src/*.h'); then
  echo "'using namespace' in a header:" >&2
  echo "$hits" >&2
  status=1
fi
[[ $status -eq 0 ]] && echo "banned APIs: ok"
exit $status
