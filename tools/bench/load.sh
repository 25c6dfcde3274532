#!/usr/bin/env bash
# Load test: a zone of 1,000,000 records. For fodns: how long `fodns zone
# import` takes, how long `fodns serve` takes until it answers, and the RSS of
# the serving process per record. NSD, Knot DNS and gdnsd load the same zone
# file for reference (time from start until they answer, RSS per record).
#
# Usage: tools/bench/load.sh [options]
#   --records N      records in the zone (default 1000000)
#   --servers LIST   comma-separated, default fodns,nsd,knot,gdnsd
#   --base-port P    first port (default 15360)
#   --fodns PATH     fodns binary (default: $FODNS, else build/src/fodns)
#   --keep           keep the work dir
#
# Goals (issue 2): import + serve in under 10 s, under 300 bytes of RSS per
# record. "RSS/record" divides the whole RSS by the records; "marginal" first
# subtracts the memory of the same server serving a 37-record zone.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
records=1000000
servers=fodns,nsd,knot,gdnsd
base_port=15360
keep=0
while (($#)); do
  case $1 in
    --records) records=$2; shift ;;
    --servers) servers=$2; shift ;;
    --base-port) base_port=$2; shift ;;
    --fodns) export FODNS=$2; shift ;;
    --keep) keep=1 ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "load.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done

# shellcheck source=lib.sh
source "$here/lib.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/fodns-load.XXXXXX")
cleanup() {
  bench_stop_all
  if ((keep)); then bench_log "work dir kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

zone=bigsip.example.
big=$work/big.zone
small=$work/small.zone
bench_log "generating $records records"
python3 "$here/make_zone.py" --origin "$zone" --records "$records" --zone "$big"
python3 "$here/make_zone.py" --origin "$zone" --hosts 1 --zone "$small"
n=$(grep -vc '^\$' "$big")
n_small=$(grep -vc '^\$' "$small")
# The last host written: answering it proves the whole zone is loaded.
last=$(awk '$4 == "A" && $1 ~ /^h/ { name = $1 } END { print name }' "$big")

# Usage: measure NAME ZONEFILE DIR PORT
# Sets M_IMPORT M_READY (seconds), M_RSS_KIB M_PSS_KIB.
measure() {
  local s=$1 zf=$2 dir=$3 port=$4 t0 t1
  M_IMPORT=""; M_READY=""; M_RSS_KIB=""; M_PSS_KIB=""
  mkdir -p "$dir"
  if [[ $s == fodns ]]; then
    t0=$(now)
    "$FODNS" --db "$dir/fodns.db" zone import "$zf" >"$dir/import.log" 2>&1 || {
      bench_log "fodns zone import failed:"; tail -n 15 "$dir/import.log" >&2; return 1; }
    t1=$(now)
    M_IMPORT=$(elapsed "$t0" "$t1")
  fi
  t0=$(now)
  FODNS_IMPORTED=1 bench_start "$s" "$dir" "$port" "$zone" "$zf" || return 1
  bench_wait_ready "$s" "$zone" 600 || { bench_stop "$s"; return 1; }
  t1=$(now)
  M_READY=$(elapsed "$t0" "$t1")
  local probe=$last
  [[ $zf == "$small" ]] && probe=h0000000.$zone
  dig +short +time=2 +tries=1 -p "$port" @127.0.0.1 "$probe" A | grep -q . ||
    bench_log "warning: $s does not answer $probe A"
  sleep 1  # let lazily built structures settle
  M_RSS_KIB=$(bench_rss_kib "$s")
  M_PSS_KIB=$(bench_rss_kib "$s" pss)
  bench_stop "$s"
}

IFS=, read -r -a wanted <<<"$servers"
rows=()
port=$base_port
for s in "${wanted[@]}"; do
  if measure "$s" "$small" "$work/$s-small" "$port"; then
    base_kib=$M_PSS_KIB
  else
    base_kib=""
  fi
  if ! measure "$s" "$big" "$work/$s-big" "$port"; then
    rows+=("| $s | did not load | | | | | | |")
    port=$((port + 1))
    continue
  fi
  total=$M_READY
  [[ -n $M_IMPORT ]] && total=$(awk -v a="$M_IMPORT" -v b="$M_READY" 'BEGIN { printf "%.2f", a + b }')
  per=$(awk -v k="$M_RSS_KIB" -v n="$n" 'BEGIN { printf "%.0f", k * 1024 / n }')
  per_pss=$(awk -v k="$M_PSS_KIB" -v n="$n" 'BEGIN { printf "%.0f", k * 1024 / n }')
  marginal="n/a"
  [[ -n $base_kib ]] && marginal=$(awk -v k="$M_PSS_KIB" -v b="$base_kib" -v n="$n" -v m="$n_small" \
    'BEGIN { printf "%.0f", (k - b) * 1024 / (n - m) }')
  rows+=("| $s | ${M_IMPORT:--} | $M_READY | $total | $((M_RSS_KIB / 1024)) | $per | $per_pss | $marginal |")
  bench_log "$s: import ${M_IMPORT:--} s, ready ${M_READY} s, RSS $((M_RSS_KIB / 1024)) MiB"
  port=$((port + 1))
done

echo
echo "## fodns load test $(date -u +%Y-%m-%dT%H:%MZ)"
echo
echo "Zone: $zone, $n records (A and AAAA per host, NAPTR and 6 SRV per 10 hosts)."
echo "Import: \`fodns zone import\` (fodns only). Ready: from starting the server until it answers SOA."
echo
echo "RSS sums VmRSS over the server's processes; PSS counts pages they share once (matters for"
echo "NSD, which forks). Marginal: PSS minus that of the same server with a ${n_small}-record zone."
echo
echo "| server | import s | ready s | total s | RSS MiB | RSS bytes/record | PSS bytes/record | marginal bytes/record |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
printf '%s\n' "${rows[@]}"
echo
