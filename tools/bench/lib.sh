# Shared by tools/bench/run.sh and load.sh (sourced, not run): start fodns,
# NSD, Knot DNS and gdnsd on a loopback port with their own config and working
# dir, wait until they answer, pin them, and read their CPU time and RSS.
#
# Every server runs in the foreground as a child of the calling shell; its pid
# goes into SERVER_PID[name] and bench_stop_all kills exactly those pids (and
# the processes they forked), never anything found by name.

declare -A SERVER_PID=()
declare -A SERVER_PORT=()
declare -A SERVER_DIR=()

bench_log() { echo "bench: $*" >&2; }

# Usage: bench_wait_ready NAME ZONE [TIMEOUT_S]. Returns 0 once the server
# answers ZONE SOA over UDP with NOERROR, 1 when it died or timed out.
bench_wait_ready() {
  local name=$1 zone=$2 timeout=${3:-60} port=${SERVER_PORT[$1]} pid=${SERVER_PID[$1]}
  local deadline=$((SECONDS + timeout))
  while ((SECONDS < deadline)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      bench_log "$name exited before answering; last lines of its log:"
      tail -n 15 "${SERVER_DIR[$name]}/log" >&2 || true
      return 1
    fi
    if dig +time=1 +tries=1 +norec -p "$port" @127.0.0.1 "$zone" SOA 2>/dev/null |
        grep -q 'status: NOERROR'; then
      return 0
    fi
    sleep 0.05
  done
  bench_log "$name did not answer on 127.0.0.1:$port within ${timeout}s"
  return 1
}

# The pid and every descendant, one per line.
bench_tree_pids() {
  local root=$1
  ps -e -o pid=,ppid= | awk -v root="$root" '
    { parent[$1] = $2; pids[NR] = $1 }
    END {
      keep[root] = 1; changed = 1
      while (changed) {
        changed = 0
        for (i in pids) { p = pids[i]; if (!(p in keep) && (parent[p] in keep)) { keep[p] = 1; changed = 1 } }
      }
      for (p in keep) print p
    }'
}

# Pins every thread of every process of server NAME to CPU list $2 (e.g. 1).
bench_pin() {
  local name=$1 cpus=$2 p
  for p in $(bench_tree_pids "${SERVER_PID[$name]}"); do
    taskset -a -c -p "$cpus" "$p" >/dev/null 2>&1 || true
  done
}

# CPU time (utime + stime, in clock ticks) used so far by every process of
# server NAME, all threads included (/proc/PID/stat sums a process's threads).
bench_cpu_ticks() {
  local name=$1 p total=0 rest
  for p in $(bench_tree_pids "${SERVER_PID[$name]}"); do
    # Fields after "(comm)"; comm may hold spaces, so cut at the last ')'.
    rest=$(cat "/proc/$p/stat" 2>/dev/null) || continue
    rest=${rest##*) }
    read -r -a f <<<"$rest"
    # f[0] is field 3 (state): utime is field 14 -> f[11], stime 15 -> f[12].
    total=$((total + f[11] + f[12]))
  done
  echo "$total"
}

# Memory in KiB of all processes of server NAME, summed: RSS (VmRSS), or with
# "pss" the proportional set size, which counts pages that forked processes
# share (NSD's) once instead of once per process.
bench_rss_kib() {
  local name=$1 kind=${2:-rss} p total=0 kb
  for p in $(bench_tree_pids "${SERVER_PID[$name]}"); do
    if [[ $kind == pss ]]; then
      kb=$(awk '/^Pss:/ { print $2 }' "/proc/$p/smaps_rollup" 2>/dev/null)
    else
      kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status" 2>/dev/null)
    fi
    total=$((total + ${kb:-0}))
  done
  echo "$total"
}

bench_version() {
  case $1 in
    fodns) "$FODNS" --version 2>/dev/null | head -n1 || echo "fodns (version unknown)" ;;
    nsd) nsd -v 2>&1 | head -n1 ;;
    knot) knotd -V 2>&1 | head -n1 ;;
    gdnsd) gdnsd -h 2>&1 | grep -m1 version ;;
  esac
}

# Usage: bench_start NAME DIR PORT ZONE_NAME ZONE_FILE
# Starts server NAME (fodns|nsd|knot|gdnsd) with one worker. Does not wait.
bench_start() {
  local name=$1 dir=$2 port=$3 zone=$4 zonefile=$5
  mkdir -p "$dir"
  SERVER_DIR[$name]=$dir
  SERVER_PORT[$name]=$port
  case $name in
    fodns) bench_start_fodns "$dir" "$port" "$zone" "$zonefile" ;;
    nsd) bench_start_nsd "$dir" "$port" "$zone" "$zonefile" ;;
    knot) bench_start_knot "$dir" "$port" "$zone" "$zonefile" ;;
    gdnsd) bench_start_gdnsd "$dir" "$port" "$zone" "$zonefile" ;;
    *) bench_log "unknown server '$name'"; return 1 ;;
  esac
}

# fodns: import into its own database, then serve with one worker thread.
# FODNS_IMPORTED=1 skips the import (load.sh times it itself).
bench_start_fodns() {
  local dir=$1 port=$2 zone=$3 zonefile=$4
  if [[ ${FODNS_IMPORTED:-0} != 1 ]]; then
    "$FODNS" --db "$dir/fodns.db" zone import "$zonefile" >"$dir/import.log" 2>&1 || {
      bench_log "fodns zone import failed:"; tail -n 15 "$dir/import.log" >&2; return 1; }
  fi
  # FODNS_SERVE_ARGS: extra serve options, e.g. "--rrl-exempt none --rrl-rate 1000000" to
  # measure with rate-limit accounting on (dnsperf runs on loopback, exempt by default).
  # shellcheck disable=SC2086
  "$FODNS" --db "$dir/fodns.db" serve --listen "127.0.0.1:$port" --threads 1 ${FODNS_SERVE_ARGS:-} \
    >"$dir/log" 2>&1 </dev/null &
  SERVER_PID[fodns]=$!
}

# NSD: Debian's defaults rate-limit (RRL) and add NS to every answer; turn both
# off, as a production authoritative for a SIP zone would be measured.
bench_start_nsd() {
  local dir=$1 port=$2 zone=$3 zonefile=$4
  cat >"$dir/nsd.conf" <<EOF
server:
    ip-address: 127.0.0.1@$port
    port: $port
    server-count: 1
    username: ""
    chroot: ""
    zonesdir: "$dir"
    database: ""
    pidfile: "$dir/nsd.pid"
    xfrdfile: "$dir/xfrd.state"
    zonelistfile: "$dir/zone.list"
    xfrdir: "$dir"
    verbosity: 1
    hide-version: yes
    rrl-ratelimit: 0
    minimal-responses: yes
    refuse-any: no
remote-control:
    control-enable: no
zone:
    name: "$zone"
    zonefile: "$zonefile"
EOF
  nsd -d -c "$dir/nsd.conf" >"$dir/log" 2>&1 </dev/null &
  SERVER_PID[nsd]=$!
}

# Knot DNS: one UDP, one TCP and one background worker; no journal, no
# zone-file flushing. Knot sets its UDP workers' CPU affinity itself, so
# bench_pin re-pins every thread after start.
bench_start_knot() {
  local dir=$1 port=$2 zone=$3 zonefile=$4
  mkdir -p "$dir/db"
  cat >"$dir/knot.conf" <<EOF
server:
    rundir: "$dir"
    listen: 127.0.0.1@$port
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
control:
    listen: "$dir/knot.sock"
database:
    storage: "$dir/db"
log:
  - target: stderr
    any: warning
template:
  - id: default
    storage: "$dir"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
    semantic-checks: off
zone:
  - domain: "$zone"
    file: "$zonefile"
EOF
  knotd -c "$dir/knot.conf" -s "$dir/knot.sock" >"$dir/log" 2>&1 </dev/null &
  SERVER_PID[knot]=$!
}

# gdnsd 3.x: config dir with `config` and `zones/<zone name>`; `start` runs it
# in the foreground.
bench_start_gdnsd() {
  local dir=$1 port=$2 zone=$3 zonefile=$4
  mkdir -p "$dir/zones" "$dir/run" "$dir/state"
  ln -sf "$zonefile" "$dir/zones/${zone%.}"
  cat >"$dir/config" <<EOF
options => {
  listen => [ 127.0.0.1:$port ]
  udp_threads => 1
  tcp_threads => 1
  run_dir => "$dir/run"
  state_dir => "$dir/state"
}
EOF
  gdnsd -c "$dir" start >"$dir/log" 2>&1 </dev/null &
  SERVER_PID[gdnsd]=$!
}

# Stops one server: SIGTERM to its process tree, SIGKILL after 5 s.
bench_stop() {
  local name=$1 pid=${SERVER_PID[$1]:-} pids i
  [[ -n "$pid" ]] || return 0
  pids=$(bench_tree_pids "$pid")
  kill $pids 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -9 $pids 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  unset "SERVER_PID[$name]"
}

bench_stop_all() {
  local name
  for name in "${!SERVER_PID[@]}"; do bench_stop "$name"; done
}

# The fodns binary: $FODNS, else build/src/fodns of this checkout.
FODNS=${FODNS:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/src/fodns}
