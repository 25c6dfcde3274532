#!/usr/bin/env bash
# Benchmark: fodns against NSD, Knot DNS and gdnsd on one SIP-provider zone.
#
# Usage: tools/bench/run.sh [options]
#   --servers LIST   comma-separated, default fodns,nsd,knot,gdnsd
#   --rounds N       interleaved rounds, server order rotated each round (default 3)
#   --duration S     seconds of dnsperf per server per round (default 10)
#   --hosts N        hosts in the generated zone (default 1000)
#   --server-cpu C   CPU the servers are pinned to (default 1)
#   --client-cpu C   CPU dnsperf is pinned to (default 0)
#   --base-port P    first port; servers get P, P+1, ... (default 15350)
#   --fodns PATH     fodns binary (default: $FODNS, else build/src/fodns)
#   --keep           keep the work dir (configs, logs, dnsperf output)
#
# Each server runs one worker pinned to --server-cpu; dnsperf -T 2 -c 10 -q 200
# drives it from --client-cpu. Per server it reports QPS, the CPU seconds the
# server used during its runs (utime+stime of all its threads, from
# /proc/PID/stat before and after), QPS per core of server CPU (queries
# answered / server CPU seconds) and fodns's QPS per core divided by each
# server's. One dnsperf cannot saturate the fastest servers, so QPS alone
# compares the client more than the servers; QPS per core compares the servers.
# Run tools/setup.sh first (packages, build). Needs 2 CPUs; root is not needed.
# FODNS_SERVE_ARGS adds fodns serve options: FODNS_SERVE_ARGS="--rrl-exempt none
# --rrl-rate 1000000" measures with rate-limit accounting on every response.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
servers=fodns,nsd,knot,gdnsd
rounds=3
duration=10
hosts=1000
server_cpu=1
client_cpu=0
base_port=15350
keep=0
while (($#)); do
  case $1 in
    --servers) servers=$2; shift ;;
    --rounds) rounds=$2; shift ;;
    --duration) duration=$2; shift ;;
    --hosts) hosts=$2; shift ;;
    --server-cpu) server_cpu=$2; shift ;;
    --client-cpu) client_cpu=$2; shift ;;
    --base-port) base_port=$2; shift ;;
    --fodns) export FODNS=$2; shift ;;
    --keep) keep=1 ;;
    -h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done

# shellcheck source=lib.sh
source "$here/lib.sh"

for tool in dnsperf dig taskset python3; do
  command -v "$tool" >/dev/null || { bench_log "$tool not found: run tools/setup.sh first"; exit 1; }
done
ncpu=$(nproc --all)
if ((server_cpu >= ncpu || client_cpu >= ncpu)); then
  bench_log "needs CPUs $client_cpu and $server_cpu; this machine has $ncpu"
  exit 1
fi
((server_cpu != client_cpu)) || bench_log "warning: servers and dnsperf share CPU $server_cpu"

work=$(mktemp -d "${TMPDIR:-/tmp}/fodns-bench.XXXXXX")
cleanup() {
  bench_stop_all
  if ((keep)); then bench_log "work dir kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

zone=sipprovider.example.
zonefile=$work/$zone"zone"
queries=$work/queries.txt
python3 "$here/make_zone.py" --origin "$zone" --hosts "$hosts" --zone "$zonefile" \
  --queries "$queries" --count 100000

IFS=, read -r -a wanted <<<"$servers"
started=()
declare -A failed=()
port=$base_port
for s in "${wanted[@]}"; do
  if bench_start "$s" "$work/$s" "$port" "$zone" "$zonefile" &&
      bench_wait_ready "$s" "$zone" 120; then
    bench_pin "$s" "$server_cpu"
    started+=("$s")
    bench_log "$s ready on 127.0.0.1:$port (pid ${SERVER_PID[$s]}): $(bench_version "$s")"
  else
    failed[$s]=1
    bench_stop "$s"
  fi
  port=$((port + 1))
done
((${#started[@]})) || { bench_log "no server started"; exit 1; }

# Sanity: every server gives the same answer to the governed name and NAPTR,
# so that nobody is measured answering REFUSED or SERVFAIL fast.
for s in "${started[@]}"; do
  for q in "sip.$zone A" "_sip._udp.$zone SRV" "nx0.$zone A"; do
    status=$(dig +norec +time=2 +tries=1 -p "${SERVER_PORT[$s]}" @127.0.0.1 $q |
      sed -n 's/.*status: \([A-Z]*\).*/\1/p')
    expect=NOERROR; [[ $q == nx0* ]] && expect=NXDOMAIN
    [[ "$status" == "$expect" ]] ||
      bench_log "warning: $s answers '$q' with ${status:-nothing}, expected $expect"
  done
done

declare -A completed=() lost=() ticks=() runtime=() resp_size=()
for s in "${started[@]}"; do completed[$s]=0; lost[$s]=0; ticks[$s]=0; runtime[$s]=0; done
hz=$(getconf CLK_TCK)
n=${#started[@]}
for ((r = 0; r < rounds; r++)); do
  for ((i = 0; i < n; i++)); do
    s=${started[$(((i + r) % n))]}
    bench_pin "$s" "$server_cpu"  # threads started since (e.g. TCP) too
    out=$work/$s/dnsperf.round$r.txt
    before=$(bench_cpu_ticks "$s")
    taskset -c "$client_cpu" dnsperf -s 127.0.0.1 -p "${SERVER_PORT[$s]}" -d "$queries" \
      -T 2 -c 10 -q 200 -l "$duration" >"$out" 2>&1 || true
    after=$(bench_cpu_ticks "$s")
    if ! kill -0 "${SERVER_PID[$s]}" 2>/dev/null; then
      bench_log "$s died during round $r"; failed[$s]=1
    fi
    c=$(awk '/Queries completed:/ { print $3 }' "$out")
    l=$(awk '/Queries lost:/ { print $3 }' "$out")
    t=$(awk '/Run time \(s\):/ { print $4 }' "$out")
    q=$(awk '/Queries per second:/ { print $4 }' "$out")
    if [[ -z "$c" || -z "$t" ]]; then
      bench_log "$s round $r: dnsperf gave no result:"; tail -n 5 "$out" >&2
      continue
    fi
    resp_size[$s]=$(awk '/Average packet size:/ { print $7 }' "$out")
    completed[$s]=$((completed[$s] + c))
    lost[$s]=$((lost[$s] + ${l:-0}))
    ticks[$s]=$((ticks[$s] + after - before))
    runtime[$s]=$(awk -v a="${runtime[$s]}" -v b="$t" 'BEGIN { print a + b }')
    bench_log "round $((r + 1))/$rounds $s: $q qps, $(((after - before) * 100 / hz / 100)).$(((after - before) * 100 / hz % 100)) s CPU, lost ${l:-0}"
  done
done

# --- Report -----------------------------------------------------------------
cpu_model=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
echo
echo "## fodns benchmark $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "Zone: $zone, $(grep -vc '^\$' "$zonefile") records ($hosts hosts). Queries: 40% A, 20% SRV, 10% NAPTR,"
echo "10% AAAA, 10% NXDOMAIN, 10% governed name. $rounds interleaved rounds of ${duration}s per server;"
echo "\`taskset -c $client_cpu dnsperf -T 2 -c 10 -q 200 -l $duration\`; servers pinned to CPU $server_cpu. CPU: $cpu_model."
echo
echo "| server | version | QPS | lost | avg response B | server CPU s | QPS per core | fodns QPS/core ÷ this |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
declare -A per_core=()
for s in "${started[@]}"; do
  per_core[$s]=$(awk -v c="${completed[$s]}" -v t="${ticks[$s]}" -v hz="$hz" \
    'BEGIN { if (t > 0) printf "%.0f", c / (t / hz); else print 0 }')
done
for s in "${wanted[@]}"; do
  if [[ -z "${per_core[$s]:-}" ]]; then
    echo "| $s | | did not start | | | | | |"
    continue
  fi
  qps=$(awk -v c="${completed[$s]}" -v t="${runtime[$s]}" 'BEGIN { if (t > 0) printf "%.0f", c / t; else print 0 }')
  cpu=$(awk -v t="${ticks[$s]}" -v hz="$hz" 'BEGIN { printf "%.2f", t / hz }')
  ratio="n/a"
  if [[ -n "${per_core[fodns]:-}" && "${per_core[$s]}" != 0 ]]; then
    ratio=$(awk -v a="${per_core[fodns]}" -v b="${per_core[$s]}" 'BEGIN { printf "%.2f", a / b }')
  fi
  note=""; [[ -n "${failed[$s]:-}" ]] && note=" (died)"
  echo "| $s$note | $(bench_version "$s" | tr '|' '/') | $qps | ${lost[$s]} | ${resp_size[$s]:-} | $cpu | ${per_core[$s]} | $ratio |"
done
echo
