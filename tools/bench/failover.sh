#!/usr/bin/env bash
# Benchmark (not a test): failover time of fodns with two Kamailio backends.
#
# Usage: tools/bench/failover.sh [--trials N] [--cases a,b] [--kinds kill,blackhole]
#                                [--fodns PATH]
#   case a: --interval 1s --fall 3 (timeout 800ms, rise 2)
#   case b: --interval 100ms --fall 1 --timeout 80ms (rise 2)
#   kill:      SIGKILL to the primary Kamailio (its port is closed: ICMP port unreachable)
#   blackhole: an nftables rule (in a table of its own, removed at exit) drops the
#              primary's traffic; NEEDS ROOT and nft, the rows are skipped otherwise.
#
# From killing the primary to the first answer of `bench.example.net A` without
# it, polled every 20 ms; 10 trials per row at a random phase of the probe
# schedule. Prints a markdown table with median, max, min and the number of
# answers that still named the dead primary after the first failed-over answer
# (goal 0). Goal (issue 3): median < interval x fall + 100 ms; case b median
# < 0.2 s and max < 0.3 s. Uses 127.0.1.101 and 127.0.1.102 port 5060 and a
# free loopback port for fodns. Runs about 4 minutes.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
args=()
while (($#)); do
  case $1 in
    --fodns) FODNS=$2; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) args+=("$1"); shift ;;
  esac
done
if [[ -z ${FODNS:-} ]]; then
  for cand in build/src/fodns build-fo/src/fodns; do
    if [[ -x $repo/$cand ]]; then FODNS=$repo/$cand; break; fi
  done
fi
[[ -n ${FODNS:-} && -x $FODNS ]] || { echo "failover.sh: no fodns binary (--fodns PATH or \$FODNS)" >&2; exit 1; }
command -v /usr/sbin/kamailio >/dev/null || { echo "failover.sh: kamailio is not installed" >&2; exit 1; }
if [[ $(id -u) -ne 0 ]]; then
  echo "failover.sh: not root: the blackhole rows (nftables) will be skipped" >&2
fi
export FODNS=$(cd "$(dirname "$FODNS")" && pwd)/$(basename "$FODNS")
export PYTHONDONTWRITEBYTECODE=1
exec python3 "$here/failover.py" "${args[@]}"
