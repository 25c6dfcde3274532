#!/usr/bin/env bash
# Installs everything fodns needs to build and test, then builds it into ./build.
#
# Usage: tools/setup.sh [--no-build]
#
# Run as root on Debian 12 (bookworm). Idempotent: when every package it lists is
# already installed it does not touch apt at all, so a re-run costs only the
# (incremental) build. Works from any directory: it always acts on the checkout
# it lives in.
#
# Daemons that the test peers ship (knot, nsd, gdnsd, kamailio, prometheus) are
# kept from running as system services: the tests start their own instances on
# loopback with their own configs, and a system instance would hold port 53,
# 5060 or 9090 and make the results depend on the machine.
set -euo pipefail

# --- The one list of packages ------------------------------------------------
# Build: compiler, meson, the libraries in meson.build, clang + its runtime for
# the libFuzzer target and sanitizer builds.
BUILD_PACKAGES=(
  g++ meson ninja-build pkg-config python3
  libldns-dev ldnsutils libuv1-dev libsqlite3-dev libfmt-dev libcxxopts-dev doctest-dev
  clang libclang-rt-14-dev libsystemd-dev libssl-dev
)
# Test peers: DNS clients, reference servers (differential test, benchmark),
# dnsperf, SIP/HTTP libraries and peers, Prometheus, network tools.
TEST_PACKAGES=(
  dnsutils knot-dnsutils knot nsd gdnsd dnsperf
  libosip2-dev libmicrohttpd-dev prometheus kamailio sip-tester
  iproute2 nftables procps systemd sqlite3 curl
)
# Services those packages install that must not stay running.
SERVICES=(knot nsd gdnsd kamailio prometheus prometheus-node-exporter)

# --- Options ----------------------------------------------------------------
build=1
for arg in "$@"; do
  case "$arg" in
    --no-build) build=0 ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup.sh: unknown option '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
log() { echo "setup.sh: $*" >&2; }

# --- Packages ---------------------------------------------------------------
missing_packages() {
  local p status
  for p in "${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [[ "$status" == installed ]] || echo "$p"
  done
}

mapfile -t missing < <(missing_packages)
if ((${#missing[@]} == 0)); then
  log "all ${#BUILD_PACKAGES[@]}+${#TEST_PACKAGES[@]} packages present, skipping apt"
else
  if ((EUID != 0)); then
    log "missing packages: ${missing[*]}; run me as root to install them"
    exit 1
  fi
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # policy-rc.d exit 101 = "action forbidden": invoke-rc.d and
  # deb-systemd-invoke then do not start the daemons that postinst would start.
  # Only ours is removed afterwards; an existing one (Docker's) stays.
  policy=/usr/sbin/policy-rc.d
  own_policy=0
  if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\n# installed by fodns tools/setup.sh during apt-get install\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    own_policy=1
    trap '[[ $own_policy == 1 ]] && rm -f "$policy"' EXIT
  fi
  apt_opts=(-y -q -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold)
  apt-get update -q
  apt-get install "${apt_opts[@]}" "${missing[@]}"
  if ((own_policy)); then rm -f "$policy"; own_policy=0; fi
fi

# --- Keep the packaged daemons from running as services -----------------------
if ((EUID == 0)); then
  if [[ -d /run/systemd/system ]] && command -v systemctl >/dev/null; then
    for s in "${SERVICES[@]}"; do
      # Only units that exist and are enabled or running; quiet and cheap on re-runs.
      if systemctl list-unit-files "$s.service" --no-legend 2>/dev/null | grep -q .; then
        if systemctl is-enabled --quiet "$s" 2>/dev/null || systemctl is-active --quiet "$s" 2>/dev/null; then
          log "disabling system service $s"
          systemctl disable --now "$s" >/dev/null 2>&1 || log "could not disable $s"
        fi
      fi
    done
  else
    # No systemd: disable the SysV links so a boot does not start them, and stop
    # an instance that the init script started (found by its own pidfile, so
    # daemons that tests started with their own configs are left alone).
    for s in "${SERVICES[@]}"; do
      [[ -x /etc/init.d/$s ]] || continue
      if compgen -G "/etc/rc[2345].d/S*$s" >/dev/null && command -v update-rc.d >/dev/null; then
        update-rc.d "$s" disable >/dev/null 2>&1 || true
      fi
      for pidfile in "/run/$s/$s.pid" "/run/$s.pid" "/var/run/$s/$s.pid" "/var/run/$s.pid"; do
        [[ -r "$pidfile" ]] || continue
        pid=$(head -n1 "$pidfile" 2>/dev/null | tr -dc 0-9)
        if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
          log "stopping system instance of $s (pid $pid)"
          kill "$pid" 2>/dev/null || true
        fi
      done
    done
  fi
fi

# --- Build ------------------------------------------------------------------
if ((build)); then
  cd "$repo"
  if [[ -f build/meson-private/coredata.dat ]]; then
    # Already configured: ninja re-runs meson itself when a meson.build changes.
    # Reconfigure only when the build dir is stale (e.g. another meson version).
    if ! ninja -C build -n >/dev/null 2>&1; then
      meson setup --reconfigure build || meson setup --wipe build
    fi
  else
    meson setup build
  fi
  ninja -C build
  log "built into $repo/build"
fi
