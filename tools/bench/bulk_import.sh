#!/usr/bin/env bash
# Times `fodns zone import` in bulk (issue 11 item 6): 10,000 zone files of 20 records in one
# run (goal < 30 s) and one 1,000,000-record zone (goal < 5 s), each into a fresh database.
# Usage: tools/bench/bulk_import.sh [FODNS] [ZONES] [RECORDS]
#   FODNS   the binary (default: build-release/src/fodns; build it with
#           `meson setup build-release --buildtype=release && ninja -C build-release`)
#   ZONES   number of small zone files (default 10000), RECORDS: size of the big zone (1000000)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
fodns="${1:-$here/../../build-release/src/fodns}"
zones="${2:-10000}"
records="${3:-1000000}"
dir="$(mktemp -d /tmp/fodns-bulk.XXXXXX)"
trap 'rm -rf "$dir"' EXIT

mkdir "$dir/zones"
python3 - "$dir/zones" "$zones" <<'PY'
import sys
out, n = sys.argv[1], int(sys.argv[2])
for z in range(n):
    origin = f"t{z:05d}.example."
    lines = [f"$ORIGIN {origin}", "$TTL 300",
             "@ IN SOA ns1 hostmaster 1 3600 600 1209600 30", "@ IN NS ns1",
             f"ns1 IN A 10.{z >> 8 & 255}.{z & 255}.1", f"_sip._udp IN SRV 10 50 5060 sip"]
    lines += [f"sip IN A 10.{z >> 8 & 255}.{z & 255}.{10 + i}" for i in range(2)]
    lines += [f"h{i} IN A 10.{z >> 8 & 255}.{z & 255}.{100 + i}" for i in range(14)]
    with open(f"{out}/{origin}zone", "w") as f:
        f.write("\n".join(lines) + "\n")
PY
python3 "$here/make_zone.py" --records "$records" --zone "$dir/big.zone" >/dev/null

time_import() {  # prints seconds
  local db="$1"; shift
  local t0 t1
  t0=$(date +%s.%N)
  "$fodns" --db "$db" zone import "$@" >"$dir/out.log" 2>&1 || { tail -n 5 "$dir/out.log" >&2; exit 1; }
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc
}
small=$(time_import "$dir/small.db" "$dir/zones")
n_small=$("$fodns" --db "$dir/small.db" zone list | tail -n +2 | wc -l)
big=$(time_import "$dir/big.db" "$dir/big.zone")
n_big=$(grep -o '([0-9]* records' "$dir/out.log" | tr -dc 0-9)
echo "| case | records | seconds | goal |"
echo "| --- | --- | --- | --- |"
echo "| $n_small zone files, one \`zone import DIR\` | $((n_small * 20)) | $small | < 30 |"
echo "| one zone, \`zone import FILE\` | $n_big | $big | < 5 |"
