#!/usr/bin/env bash
# make bench: loads each server on loopback with wrk in ONE run and prints one
# table, with the ratio of mxauth to the references measured in the same run
# (figures across runs on shared machines vary by ±30%; ratios much less).
#
#   MXAUTH_BENCH_SECONDS   seconds per workload (default 10)
#   MXAUTH_BENCH_CONNS     concurrent connections (default 50)
#   MXAUTH_BUILD           build directory (default build/release)
# Results are also written as JSON to bench/results/<timestamp>.json.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${MXAUTH_BENCH_SECONDS:-10}
conns=${MXAUTH_BENCH_CONNS:-50}
build=${MXAUTH_BUILD:-build/release}
mxauth=$build/mxauth
static=$build/bench/bench_static_server
command -v wrk >/dev/null || { echo "wrk is missing (tools/install-deps.sh)" >&2; exit 1; }

work=$(mktemp -d /tmp/mxauth-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() {  # asks the kernel for a free port
  local port
  for port in $(shuf -i 20000-60000 -n 50); do
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
  done
  return 1
}
wait_http() {  # url: waits until it answers 200 (bounded)
  for _ in $(seq 1 500); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.01
  done
  echo "server at $1 did not come up" >&2; return 1
}
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
hwm_kib() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

results=()
# run_wrk NAME PID URL [wrk args...]
run_wrk() {
  local name=$1 pid=$2 url=$3; shift 3
  local idle; idle=$(rss_kib "$pid")
  local t0; t0=$(cpu_ticks "$pid")
  local out; out=$(wrk -t2 -c"$conns" -d"${secs}s" --latency "$@" "$url")
  local t1; t1=$(cpu_ticks "$pid")
  local hz; hz=$(getconf CLK_TCK)
  local rps p50 p99 cpu non2xx
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1=="50%" {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {print $2}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $4}' <<<"$out"); non2xx=${non2xx:-0}
  cpu=$(awk -v a="$t0" -v b="$t1" -v hz="$hz" -v s="$secs" 'BEGIN {printf "%.0f", (b-a)/hz/s*100}')
  results+=("$name|$rps|$p50|$p99|$cpu|$idle|$(rss_kib "$pid")|$(hwm_kib "$pid")|$non2xx")
}
to_ms() {  # wrk prints 512.00us / 1.20ms / 1.01s
  awk -v v="$1" 'BEGIN { if (v ~ /us$/) { sub(/us$/,"",v); printf "%.2f", v/1000 }
    else if (v ~ /ms$/) { sub(/ms$/,"",v); printf "%.2f", v }
    else if (v ~ /s$/) { sub(/s$/,"",v); printf "%.2f", v*1000 } else print v }'
}

# Reference: the trivial static-JSON Beast server (1 I/O thread).
sport=$(free_port)
"$static" "$sport" 1 & pids+=($!); spid=$!
wait_http "http://127.0.0.1:$sport/"

# mxauth on SQLite, fresh data directory, default configuration otherwise.
mport=$(free_port)
start_ns=$(date +%s%N)
(cd "$work" && MXAUTH_HTTP__LISTEN="127.0.0.1:$mport" MXAUTH_HTTP__PUBLIC_BASE="http://127.0.0.1:$mport/" \
   MXAUTH_LOG__LEVEL=warn exec "$OLDPWD/$mxauth" serve >"$work/mxauth.log" 2>&1) & pids+=($!); mpid=$!
wait_http "http://127.0.0.1:$mport/health"
first_start_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))

run_wrk "static reference GET /" "$spid" "http://127.0.0.1:$sport/"
run_wrk "mxauth GET /health (sqlite)" "$mpid" "http://127.0.0.1:$mport/health"

# Cold start of an already-initialised data directory: exec to the first 200.
kill -TERM "$mpid"; wait "$mpid" || true
start_ns=$(date +%s%N)
(cd "$work" && MXAUTH_HTTP__LISTEN="127.0.0.1:$mport" MXAUTH_HTTP__PUBLIC_BASE="http://127.0.0.1:$mport/" \
   MXAUTH_LOG__LEVEL=warn exec "$OLDPWD/$mxauth" serve >>"$work/mxauth.log" 2>&1) & pids+=($!); mpid=$!
wait_http "http://127.0.0.1:$mport/health"
cold_start_ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
idle_rss=$(rss_kib "$mpid")

printf '\nwrk -t2 -c%s -d%ss on loopback, %s\n\n' "$conns" "$secs" "$(date -u +%FT%TZ)"
printf '%-32s %10s %8s %8s %6s %9s %9s %9s %8s\n' workload req/s p50ms p99ms cpu% rss0KiB rssKiB peakKiB non2xx
ref_rps=""
json_rows=()
for r in "${results[@]}"; do
  IFS='|' read -r name rps p50 p99 cpu idle rss hwm non2xx <<<"$r"
  p50=$(to_ms "$p50"); p99=$(to_ms "$p99")
  printf '%-32s %10.0f %8s %8s %6s %9s %9s %9s %8s\n' "$name" "$rps" "$p50" "$p99" "$cpu" "$idle" "$rss" "$hwm" "$non2xx"
  [[ -z $ref_rps ]] && ref_rps=$rps
  json_rows+=("{\"workload\":\"$name\",\"rps\":$rps,\"p50_ms\":$p50,\"p99_ms\":$p99,\"cpu_pct\":$cpu,\"rss_idle_kib\":$idle,\"rss_kib\":$rss,\"rss_peak_kib\":$hwm,\"non_2xx\":$non2xx}")
done
ratio=$(awk -v a="${results[1]#*|}" -v b="$ref_rps" 'BEGIN {split(a, x, "|"); printf "%.2f", x[1]/b}')
printf '\nmxauth /health vs static reference: %s x\n' "$ratio"
printf 'first start (creates database and keys): %s ms; cold start: %s ms; idle RSS: %s KiB\n' \
  "$first_start_ms" "$cold_start_ms" "$idle_rss"

mkdir -p bench/results
stamp=$(date -u +%Y%m%dT%H%M%SZ)
{
  printf '{"time":"%s","seconds":%s,"connections":%s,"ratio_health_vs_static":%s,' "$stamp" "$secs" "$conns" "$ratio"
  printf '"first_start_ms":%s,"cold_start_ms":%s,"idle_rss_kib":%s,"results":[%s]}\n' \
    "$first_start_ms" "$cold_start_ms" "$idle_rss" "$(IFS=,; echo "${json_rows[*]}")"
} > "bench/results/$stamp.json"
echo "results: bench/results/$stamp.json"
