#!/usr/bin/env bash
# Benchmark (not a test): fodns with 10,000 SIP OPTIONS backends on loopback.
#
# Usage: tools/bench/scale.sh [--quick] [--fodns PATH] [scale.py options]
#   --quick            (a) 20 s, 3 trials of 5 s in (b) and (d): about 3 minutes
#   --backends N       default 10000 (addresses 127.1.X.Y, port 5060)
#   --a-seconds S      length of (a), default 60
#   --trials N         alternating trials per pair in (b) and (d), default 5
#   --duration S       seconds of dnsperf per trial, default 10
#   --server-cpu C     CPU of fodns (all its threads), default 1
#   --client-cpu C     CPU of dnsperf, the SIP responder and the scraper, default 0
#   --threads N        fodns DNS worker threads, default 1
#   --dnsperf-args A   default "-T 2 -c 10 -q 200"
#   --parts LIST       any of a,b,c,d (default all)
#   --keep             keep the work dir (database, logs, dnsperf output)
#   --scrapes N        scrapes timed in (c), default 5
#   --control-cpu C    move the control loop alone to CPU C once serving
#   --responder-poll-us N  the responder looks for requests every N us (0: sleeps), default 1000
#   --nice N           niceness of every process, default -20 as root
#
# Measures (see tools/bench/README.md): (a) the control loop keeps up with
# 10,000 backends probed every second (no late, missed or skipped rounds, all
# up, no state changes); (b) dnsperf QPS with probing on vs --no-probes
# (goal: on >= 90% of off); (c) /metrics scrape time and size; (d) dnsperf
# QPS while /metrics is scraped every 100 ms vs not (goal: < 2% apart).
# Alternating trials, medians; prints a markdown table at the end. About 8
# minutes by default. Needs dnsperf, taskset, curl, cc, python3 and 2 CPUs;
# root is not needed (RLIMIT_NOFILE hard limit >= backends + 1000).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
args=()
while (($#)); do
  case $1 in
    --fodns) FODNS=$2; shift 2 ;;
    --quick) args+=(--a-seconds 20 --trials 3 --duration 5 --scrapes 3); shift ;;
    -h|--help) sed -n '2,31p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) args+=("$1"); shift ;;
  esac
done
FODNS=${FODNS:-$repo/build/src/fodns}
[[ -x $FODNS ]] || { echo "scale.sh: no fodns binary at $FODNS (--fodns PATH or \$FODNS)" >&2; exit 1; }
for tool in dnsperf taskset curl cc python3; do
  command -v "$tool" >/dev/null || { echo "scale.sh: $tool not found: run tools/setup.sh first" >&2; exit 1; }
done
(($(nproc --all) >= 2)) || { echo "scale.sh: needs 2 CPUs" >&2; exit 1; }

bin=$(mktemp -d "${TMPDIR:-/tmp}/fodns-scale-bin.XXXXXX")
trap 'rm -rf "$bin"' EXIT
cc -O2 -Wall -Wextra -o "$bin/sip_bulk_responder" "$here/sip_bulk_responder.c"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
export PYTHONDONTWRITEBYTECODE=1
python3 "$here/scale.py" --fodns "$(cd "$(dirname "$FODNS")" && pwd)/$(basename "$FODNS")" \
  --responder "$bin/sip_bulk_responder" "${args[@]}"
