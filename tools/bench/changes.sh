#!/usr/bin/env bash
# Benchmark (not a test): what a change costs (issue 11's table), one run, side by side.
#
# Usage: tools/bench/changes.sh [--quick] [--fodns PATH] [changes.py options]
#   --quick        a 100,000-record big zone, 1,000 zones, 6 flips, 3 edits (a few minutes)
#   --big N        records of the big zone, default 1000000
#   --zones N      zones of the many-zone cases, default 10000
#   --flips N      flips per publish case, default 10
#   --edits N      CLI edits per edit case, default 5
#   --lock-s S     how long the other process holds the write lock, default 15
#
# Prints a markdown table: flip publish ms (100-record zone, big zone, 1 zone of N,
# a backend governing all N zones), e2e failover (big zone; 100-record zone with and
# without a held write lock), CLI edit -> served (big zone, 1 of N zones), and Knot's
# knotc edit on the same big zone. Use a release build (meson setup build-release
# --buildtype=release). Needs python3; Knot (knotd, knotc) for its row.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
args=()
while (($#)); do
  case $1 in
    --fodns) FODNS=$2; shift 2 ;;
    --quick) args+=(--big 100000 --zones 1000 --flips 6 --edits 3); shift ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) args+=("$1"); shift ;;
  esac
done
FODNS=${FODNS:-$repo/build-release/src/fodns}
[[ -x $FODNS ]] || FODNS=$repo/build/src/fodns
[[ -x $FODNS ]] || { echo "changes.sh: no fodns binary (--fodns PATH or \$FODNS)" >&2; exit 1; }
export PYTHONDONTWRITEBYTECODE=1
exec python3 "$here/changes.py" --fodns "$FODNS" "${args[@]}"
