#!/usr/bin/env bash
# Sets everything up and serves zones/example.net.zone on 127.0.0.1:5353 and
# [::1]:5353 from a throw-away database, until Ctrl-C.
#
# Usage: tools/run-local.sh [--no-setup] [PORT]
#   --no-setup  skip tools/setup.sh (packages and build already done)
#   PORT        listen port, default 5353
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
setup=1
port=5353
for arg in "$@"; do
  case "$arg" in
    --no-setup) setup=0 ;;
    -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    ''|*[!0-9]*) echo "run-local.sh: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
    *) port=$arg ;;
  esac
done

cd "$repo"
((setup)) && tools/setup.sh

fodns="$repo/build/src/fodns"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/fodns-local.XXXXXX")
db="$tmp/fodns.db"
# The server runs as a child (not exec'd) so that this shell survives it and
# removes the database directory however the server ends (Ctrl-C, kill, crash).
server=
cleanup() {
  [[ -n "$server" ]] && kill "$server" 2>/dev/null && wait "$server" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$fodns" --db "$db" zone import zones/example.net.zone

cat <<EOF

fodns serves example.net on 127.0.0.1:$port and [::1]:$port (database: $db).
Try, from another terminal:

    dig @127.0.0.1 -p $port sip.example.net
    dig @::1 -p $port _sip._udp.example.net SRV +tcp

Ctrl-C stops the server and removes the database.

EOF

"$fodns" --db "$db" serve --listen "127.0.0.1:$port" --listen "[::1]:$port" &
server=$!
set +e
wait "$server"
rc=$?
server=
exit "$rc"
