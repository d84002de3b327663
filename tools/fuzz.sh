#!/usr/bin/env bash
# `make fuzz`: builds the libFuzzer targets of tests/fuzz with clang (the
# fuzz preset: ASan + UBSan) and runs each for MXAUTH_FUZZ_SECONDS (60)
# seconds on its corpus, one after the other, at low priority.
#
#   tools/fuzz.sh [--update-corpus] [TARGET...]
#
# New inputs go to a scratch directory (build/fuzz/new-corpus/<target>)
# unless --update-corpus, which merges them into tests/fuzz/corpus/<target>
# (minimised with -merge=1; commit the result). A crash is copied to
# tests/fuzz/crashers/<target>/, where `make test` replays it from then on.
# At the end a table gives, per target: executions, exec/s, new corpus
# units and crashes. The exit status is 1 when anything crashed.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${MXAUTH_FUZZ_SECONDS:-60}
update=0
targets=()
for arg in "$@"; do
  case "$arg" in
    --update-corpus) update=1 ;;
    -*) echo "usage: $0 [--update-corpus] [TARGET...]" >&2; exit 2 ;;
    *) targets+=("$arg") ;;
  esac
done
if [[ ${#targets[@]} -eq 0 ]]; then
  mapfile -t targets < <(sed -n 's/^mxauth_add_fuzz_target(\([a-z_]*\) .*/\1/p' tests/fuzz/CMakeLists.txt)
fi

# Per target: the longest input worth trying, and a dictionary.
max_len() {
  case "$1" in
    http_request | json_bodies | config) echo 8192 ;;
    jws) echo 4096 ;;
    user_code | accept_language | scope) echo 512 ;;
    *) echo 2048 ;;
  esac
}
dict() {
  case "$1" in
    http_request) echo tests/fuzz/dict/http.dict ;;
    json_bodies | jws) echo tests/fuzz/dict/json.dict ;;
    redirect_uri | scope | form_decoding) echo tests/fuzz/dict/uri.dict ;;
    *) echo "" ;;
  esac
}

cmake --preset fuzz >/dev/null
nice -n 15 cmake --build --preset fuzz -j 2 --target "${targets[@]/#/fuzz_}"

build=build/fuzz
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
rows=()
failed=0
for target in "${targets[@]}"; do
  corpus=tests/fuzz/corpus/$target
  scratch=$build/new-corpus/$target
  artifacts=$build/artifacts/$target
  log=$build/logs/$target.log
  rm -rf "$scratch" "$artifacts"
  mkdir -p "$corpus" "$scratch" "$artifacts" "$(dirname "$log")"
  flags=(-max_total_time="$seconds" -max_len="$(max_len "$target")" -timeout=10
         -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts/")
  d=$(dict "$target")
  [[ -n $d ]] && flags+=(-dict="$d")
  echo "== fuzzing $target for ${seconds}s"
  status=0
  # New inputs are written to the first directory; the corpus is only read.
  nice -n 15 "$build/tests/fuzz/fuzz_$target" "${flags[@]}" "$scratch" "$corpus" >"$log" 2>&1 ||
    status=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  new_units=$(find "$scratch" -type f | wc -l)
  crashes=0
  for file in "$artifacts"/*; do
    [[ -f $file ]] || continue
    crashes=$((crashes + 1))
    mkdir -p "tests/fuzz/crashers/$target"
    cp "$file" "tests/fuzz/crashers/$target/"
  done
  if [[ $status -ne 0 || $crashes -ne 0 ]]; then
    failed=1
    echo "   $target failed (status $status); log: $log" >&2
    tail -n 30 "$log" >&2
  fi
  if [[ $update -eq 1 && $new_units -gt 0 ]]; then
    nice -n 15 "$build/tests/fuzz/fuzz_$target" -merge=1 -max_len="$(max_len "$target")" \
      "$corpus" "$scratch" >>"$log" 2>&1
  fi
  rows+=("$(printf '%-16s %12s %10s %10s %8s' "$target" "${execs:-?}" "${rate:-?}" "$new_units" "$crashes")")
done

printf '\n%-16s %12s %10s %10s %8s\n' target executions exec/s new-units crashes
printf '%s\n' "${rows[@]}"
exit "$failed"
