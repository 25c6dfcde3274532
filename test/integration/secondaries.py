"""Helpers for test_secondaries.py: real secondaries (Knot DNS, NSD) of a
primary on loopback, each with its own config and temp dir, Knot DNS as a
reference primary, fodns as the primary, and the Fleet that starts them all
with two Kamailio backends. The TSIG/transfer client lives in xfr_client.py,
the NOTIFY counter and the transfer tap in xfr_observers.py.

Everything listens on 127.0.0.1 on ports found free at run time; every
process runs in the foreground under the test and is killed by cleanup().
"""

import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fodns_harness as h  # noqa: E402
# Re-exported: the tests reach everything through this module.
from xfr_client import (  # noqa: E402,F401
    BADKEY, BADSIG, BADTIME, NOTAUTH, TSIG_ERRORS, Key, Transfer, Tsig, dig_axfr, new_secret,
    rcode_name, sign, signed_query, transfer)
from xfr_observers import NotifyListener, XfrTap  # noqa: E402,F401


# --------------------------------------------------------------------------
# Processes
# --------------------------------------------------------------------------
_HANDED_OUT = set()


def free_loopback_port(addr='127.0.0.1'):
    """A port free for both UDP and TCP on addr (bind port 0, then check UDP).
    Never the same port twice in one run: the kernel may offer a just-closed
    port again before its first taker has bound it."""
    for _ in range(50):
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            t.bind((addr, 0))
            port = t.getsockname()[1]
            if port in _HANDED_OUT:
                continue
            u.bind((addr, port))
            _HANDED_OUT.add(port)
            return port
        except OSError:
            continue
        finally:
            t.close()
            u.close()
    raise RuntimeError('no free port on %s' % addr)


class Daemon:
    """A foreground daemon in its own process group with its own temp dir;
    its stdout+stderr go to one log file that tests grep."""
    name = 'daemon'

    def __init__(self, tmp=None):
        self.tmp = tmp or tempfile.mkdtemp(prefix='fodns-e2e-%s-' % self.name)
        self.proc = None
        self.addr = '127.0.0.1'
        self.port = None
        self.log_path = os.path.join(self.tmp, '%s.log' % self.name)
        self._log = None

    def spawn(self, argv):
        self._log = open(self.log_path, 'ab')
        self.proc = subprocess.Popen(argv, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=self.tmp,
                                     start_new_session=True)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, sig=signal.SIGTERM):
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(10)
        try:  # children (NSD forks xfrd and servers) share the group
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc = None
        self._log.close()

    def log_text(self):
        try:
            with open(self.log_path, errors='replace') as f:
                return f.read()
        except OSError:
            return ''

    def log_tail(self, n=6000):
        return '--- %s log (%s) ---\n%s' % (self.name, self.log_path, self.log_text()[-n:])

    def cleanup(self, failed=False):
        self.stop()
        if failed or os.environ.get('FODNS_E2E_KEEP'):
            sys.stderr.write('(%s files kept in %s)\n' % (self.name, self.tmp))
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def query(self, qname, qtype='A', tcp=False, timeout=1.0):
        return h.query(self.addr, self.port, qname, qtype, tcp=tcp, timeout=timeout)

    def serial(self, zone):
        try:
            m = self.query(zone, 'SOA', timeout=0.5)
        except (OSError, h.ParseError):
            return None
        if m is None or m.rcode != h.NOERROR or not m.rrs('answer', 'SOA'):
            return None
        return int(m.rrs('answer', 'SOA')[0].text.split()[2])

    def addrs(self, qname, qtype='A'):
        try:
            m = self.query(qname, qtype, timeout=0.5)
        except (OSError, h.ParseError):
            return None
        if m is None:
            return None
        return {rr.text for rr in m.rrs('answer', qtype)}

    def axfr(self, zone):
        """The zone as this server serves it (unsigned AXFR from 127.0.0.1)."""
        return transfer(self.addr, self.port, zone)


# -- Knot DNS --------------------------------------------------------------
KNOT_SECONDARY_CONF = """\
server:
    rundir: "{tmp}/run"
    listen: {addr}@{port}
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
log:
  - target: stderr
    any: debug
database:
    storage: "{tmp}/db"
key:
  - id: {key_name}
    algorithm: {algorithm}
    secret: {secret}
remote:
  - id: primary
    address: {paddr}@{pport}
    key: {key_name}
acl:
  - id: notify_from_primary
    address: {paddr}
    key: {key_name}
    action: notify
  - id: transfer_to_tests
    address: 127.0.0.0/8
    action: transfer
template:
  - id: default
    storage: "{tmp}/storage"
    zonefile-sync: -1
    zonefile-load: none
    journal-content: all
    semantic-checks: off
    refresh-min-interval: 2
    retry-min-interval: 2
zone:
{zones}"""


def _daemon_ready(d, deadline_s):
    """Wait until d answers anything on UDP (REFUSED is fine: no zone yet)."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if not d.alive():
            return False
        try:
            m = h.query(d.addr, d.port, 'ready.invalid.', 'SOA', timeout=0.2)
            if m is not None:
                return True
        except (OSError, h.ParseError):
            pass
        time.sleep(0.05)
    return False


class KnotSecondary(Daemon):
    """knotd -c CONF as a secondary of (paddr, pport) for `zones`, TSIG `key`
    on SOA/IXFR/AXFR and accepted NOTIFY. Knot logs every transfer:
    `[zone.] IXFR, incoming, remote ..., finished, ...` / `AXFR, incoming ...`."""
    name = 'knot'

    def __init__(self, zones, key, paddr, pport, tmp=None):
        super().__init__(tmp)
        self.zones, self.key, self.paddr, self.pport = list(zones), key, paddr, pport
        self.exe = h.knotd_binary()
        self.conf = os.path.join(self.tmp, 'knot.conf')

    def start(self):
        for d in ('run', 'db', 'storage'):
            os.makedirs(os.path.join(self.tmp, d), exist_ok=True)
        zones = ''.join('  - domain: %s\n    master: primary\n'
                        '    acl: [notify_from_primary, transfer_to_tests]\n' % z
                        for z in self.zones)
        last = ''
        for _ in range(5):
            if self.port is None:
                self.port = free_loopback_port(self.addr)
            with open(self.conf, 'w') as f:
                f.write(KNOT_SECONDARY_CONF.format(
                    tmp=self.tmp, addr=self.addr, port=self.port, key_name=self.key.name,
                    algorithm=self.key.algorithm, secret=self.key.secret, paddr=self.paddr,
                    pport=self.pport, zones=zones))
            self.spawn([self.exe, '-c', self.conf])
            if _daemon_ready(self, 10.0):
                return self
            last = self.log_tail()
            self.stop()
            self.port = None
        raise RuntimeError('knotd (secondary) did not come up\n' + last)

    def knotc(self, *args):
        return subprocess.run(['knotc', '-c', self.conf, '-t', '5'] + list(args),
                              capture_output=True, text=True, timeout=30)

    def transfers(self, zone):
        """[(kind, line)] of the finished incoming transfers of zone; kind is
        'IXFR', 'AXFR' or 'AXFR-style IXFR' (Knot logs "IXFR, incoming, ...,
        receiving AXFR-style IXFR" and then the AXFR lines)."""
        out = []
        z = re.escape(zone.lower())
        axfr_style = False
        for line in self.log_text().splitlines():
            m = re.search(r'\[%s\] (IXFR|AXFR), incoming, remote [^,]+, (.*)' % z, line, re.I)
            if not m:
                continue
            if 'AXFR-style' in m.group(2):
                axfr_style = True
            elif 'finished' in m.group(2):
                kind = m.group(1).upper()
                if kind == 'AXFR' and axfr_style:
                    kind = 'AXFR-style IXFR'
                axfr_style = False
                out.append((kind, line.strip()))
        return out

    def notifies(self, zone):
        z = re.escape(zone.lower())
        return [l for l in self.log_text().splitlines()
                if re.search(r'\[%s\] notify, incoming' % z, l, re.I)]


# -- NSD -------------------------------------------------------------------
NSD_CONF = """\
server:
    ip-address: {addr}@{port}
    port: {port}
    do-ip4: yes
    do-ip6: no
    username: ""
    chroot: ""
    zonesdir: "{tmp}"
    database: ""
    zonelistfile: "{tmp}/zone.list"
    xfrdfile: "{tmp}/xfrd.state"
    xfrdir: "{tmp}/xfr"
    pidfile: "{tmp}/nsd.pid"
    verbosity: 5
    server-count: 1
    tcp-count: 16
    zonefiles-check: no
    zonefiles-write: 0
    hide-version: yes
    xfrd-reload-timeout: 0
remote-control:
    control-enable: yes
    control-interface: "{tmp}/nsd.ctl"
key:
    name: "{key_name}"
    algorithm: {algorithm}
    secret: "{secret}"
{zones}"""


class NsdSecondary(Daemon):
    """nsd -d -c CONF as a secondary (request-xfr + allow-notify with the key),
    its zone files, xfrd state and control socket in its temp dir. NSD asks
    IXFR over TCP first when it has a zone; it logs the transfers at
    verbosity 2 (see transfers())."""
    name = 'nsd'

    def __init__(self, zones, key, paddr, pport, tmp=None):
        super().__init__(tmp)
        self.zones, self.key, self.paddr, self.pport = list(zones), key, paddr, pport
        self.exe = shutil.which('nsd') or '/usr/sbin/nsd'
        self.conf = os.path.join(self.tmp, 'nsd.conf')

    def start(self):
        os.makedirs(os.path.join(self.tmp, 'xfr'), exist_ok=True)
        zones = ''.join(
            'zone:\n    name: "%s"\n    zonefile: "%s.zone"\n'
            '    request-xfr: %s@%d %s\n    allow-notify: %s %s\n'
            '    provide-xfr: 127.0.0.0/8 NOKEY\n'
            '    min-refresh-time: 1\n    min-retry-time: 1\n' %
            (z, z.rstrip('.'), self.paddr, self.pport, self.key.name, self.paddr, self.key.name)
            for z in self.zones)
        last = ''
        for _ in range(5):
            if self.port is None:
                self.port = free_loopback_port(self.addr)
            with open(self.conf, 'w') as f:
                f.write(NSD_CONF.format(tmp=self.tmp, addr=self.addr, port=self.port,
                                        key_name=self.key.name, algorithm=self.key.algorithm,
                                        secret=self.key.secret, zones=zones))
            self.spawn([self.exe, '-d', '-c', self.conf])
            if _daemon_ready(self, 10.0):
                return self
            last = self.log_tail()
            self.stop()
            self.port = None
        raise RuntimeError('nsd did not come up\n' + last)

    def control(self, *args):
        return subprocess.run(['nsd-control', '-c', self.conf] + list(args),
                              capture_output=True, text=True, timeout=30)

    def transfers(self, zone):
        """[(kind, line)] of the transfers NSD committed for zone, kind from
        the xfrd log: 'IXFR' or 'AXFR'."""
        out = []
        z = re.escape(zone.rstrip('.').lower())
        for line in self.log_text().splitlines():
            low = line.lower()
            if not re.search(r'zone %s\.? ' % z, low):
                continue
            m = re.search(r'\b(ixfr|axfr)\b', low)
            if m and ('committed' in low or 'written' in low or 'received' in low):
                out.append((m.group(1).upper(), line.strip()))
        return out

    def notifies(self, zone):
        z = re.escape(zone.rstrip('.').lower())
        return [l for l in self.log_text().splitlines()
                if 'notify' in l.lower() and re.search(z, l.lower())]


# -- Knot as a stand-in primary --------------------------------------------
KNOT_PRIMARY_CONF = """\
server:
    rundir: "{tmp}/run"
    listen: {addr}@{port}
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
log:
  - target: stderr
    any: info
database:
    storage: "{tmp}/db"
key:
  - id: {key_name}
    algorithm: {algorithm}
    secret: {secret}
{remotes}
acl:
  - id: transfer_with_key
    address: 127.0.0.1/32
    key: {key_name}
    action: transfer
template:
  - id: default
    storage: "{tmp}/storage"
    zonefile-sync: -1
    zonefile-load: difference
    journal-content: changes
    journal-max-depth: {journal_max}
    semantic-checks: off
zone:
  - domain: {zone}
    file: "{tmp}/zone.txt"
    acl: transfer_with_key
{notify}"""


class KnotPrimary(Daemon):
    """A Knot primary with the same surface the tests need from fodns: a zone
    file to edit (set_zone_text + reload), NOTIFY with the key to the
    targets, transfers allowed from 127.0.0.1/32 with the key."""
    name = 'knot-primary'

    def __init__(self, zone, zone_text, key, notify=(), journal_max=20, tmp=None):
        super().__init__(tmp)
        self.zone, self.key, self.notify, self.journal_max = zone, key, list(notify), journal_max
        self.exe = h.knotd_binary()
        self.conf = os.path.join(self.tmp, 'knot.conf')
        self.zone_file = os.path.join(self.tmp, 'zone.txt')
        with open(self.zone_file, 'w') as f:
            f.write(zone_text)

    def start(self):
        for d in ('run', 'db', 'storage'):
            os.makedirs(os.path.join(self.tmp, d), exist_ok=True)
        remotes = notify = ''
        if self.notify:
            remotes = 'remote:\n' + ''.join(
                '  - id: n%d\n    address: %s@%d\n    key: %s\n' % (i, a, p, self.key.name)
                for i, (a, p) in enumerate(self.notify))
            notify = '    notify: [%s]\n' % ', '.join('n%d' % i for i in range(len(self.notify)))
        if self.port is None:
            self.port = free_loopback_port(self.addr)
        with open(self.conf, 'w') as f:
            f.write(KNOT_PRIMARY_CONF.format(
                tmp=self.tmp, addr=self.addr, port=self.port, key_name=self.key.name,
                algorithm=self.key.algorithm, secret=self.key.secret, remotes=remotes,
                notify=notify, zone=self.zone, journal_max=self.journal_max))
        self.spawn([self.exe, '-c', self.conf])
        if not h.wait_answering(self.addr, self.port, self.zone, 10.0, self.proc):
            raise RuntimeError('knotd (primary) did not come up\n' + self.log_tail())
        return self

    def set_zone_text(self, text):
        with open(self.zone_file, 'w') as f:
            f.write(text)
        cp = subprocess.run(['knotc', '-c', self.conf, '-t', '5', 'zone-reload', self.zone],
                            capture_output=True, text=True, timeout=30)
        if cp.returncode != 0:
            raise RuntimeError('knotc zone-reload: %s%s' % (cp.stdout, cp.stderr))


# --------------------------------------------------------------------------
# fodns as the primary, and the whole fleet
# --------------------------------------------------------------------------
EN = 'example.net.'
SIP = 'sip.example.net.'
PRIMARY_SIP, BACKUP_SIP = '127.0.1.1', '127.0.1.2'
PROBE = ['--interval', '200ms', '--timeout', '150ms', '--rise', '2', '--fall', '2']


class FodnsPrimary(h.FailoverFodns):
    """FailoverFodns that serves on a port chosen before it starts (the
    secondaries' configs and its own --notify need each other's ports)."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.port = free_loopback_port()

    def serve(self, extra_args=(), deadline_s=15.0):
        http = 'none'
        if self.want_http:
            self.http_port = free_loopback_port()
            http = '127.0.0.1:%d' % self.http_port
        argv = [self.exe, '--db', self.db, 'serve', '--listen', '127.0.0.1:%d' % self.port,
                '--threads', str(self.threads), '--http', http] + list(extra_args)
        self._spawn(argv)
        if not h.wait_answering(self.addr, self.port, self.zones[0][0], deadline_s, self.proc):
            raise RuntimeError('fodns serve did not come up on 127.0.0.1:%d\n%s'
                               % (self.port, self.log_text()))
        return self

    def axfr(self, zone, key):
        return transfer(self.addr, self.port, zone, key=key)

    def xfr_counts(self):
        """{result: fodns_xfr_requests_total{result=...}} from /metrics."""
        m = self.metrics() or {}
        return {dict(labels).get('result'): v for (name, labels), v in m.items()
                if name == 'fodns_xfr_requests_total'}


class Fleet:
    """fodns (primary, example.net, two Kamailio backends governing
    sip.example.net A and the SRV targets) with a TSIG key, a Knot and an NSD
    secondary (NSD through an XfrTap), and a NotifyListener as a third notify
    target. start() returns when both secondaries serve fodns's serial."""

    def __init__(self, journal_max=None, listener=True, http=False):
        self.key = Key('xfr-key.')
        self.journal_max = journal_max
        self.k1 = h.Kamailio(PRIMARY_SIP)
        self.k2 = h.Kamailio(BACKUP_SIP)
        self.f = FodnsPrimary(zones=[(EN, os.path.join(h.ZONES, 'example.net.zone'))],
                              http=http)
        self.listener = NotifyListener(self.key) if listener else None
        self.tap = XfrTap(self.f.addr, self.f.port)
        self.knot = KnotSecondary([EN], self.key, self.f.addr, self.f.port)
        self.nsd = NsdSecondary([EN], self.key, self.tap.addr, self.tap.port)
        self.knot.port = free_loopback_port()
        self.nsd.port = free_loopback_port()
        self.secondaries = [self.knot, self.nsd]

    def acl(self):
        return '127.0.0.1/32+key:%s' % self.key.name

    def start(self):
        self.k1.start()
        self.k2.start()
        f = self.f
        f.import_zones()
        for name, addr in (('sip1', PRIMARY_SIP), ('sip2', BACKUP_SIP)):
            f.cli('backend', 'add', name, '--address', addr, '--probe', 'sip-options', *PROBE)
        f.cli('record', 'set-backend', SIP, 'A', PRIMARY_SIP, '--backend', 'sip1',
              '--priority', '0')
        f.cli('record', 'set-backend', SIP, 'A', BACKUP_SIP, '--backend', 'sip2',
              '--priority', '10')
        f.cli('record', 'set-backend', 'sip1.example.net.', 'A', PRIMARY_SIP, '--backend', 'sip1')
        f.cli('record', 'set-backend', 'sip2.example.net.', 'A', BACKUP_SIP, '--backend', 'sip2')
        f.cli('tsig', 'add', self.key.name, '--algorithm', self.key.algorithm,
              '--secret', self.key.secret)
        args = ['zone', 'set', EN, '--allow-transfer', self.acl()]
        for d in self.secondaries:
            args += ['--notify', '127.0.0.1:%d' % d.port]
        if self.listener:
            args += ['--notify', '127.0.0.1:%d' % self.listener.port]
        if self.journal_max:
            args += ['--journal-max', str(self.journal_max)]
        f.cli(*args)
        f.serve()
        # The first answers are served once both backends were probed.
        got, _ = poll(lambda: f.addrs(SIP) == {PRIMARY_SIP}, 10)
        if not got:
            raise RuntimeError('fodns never served only the primary for %s: %r\n%s'
                               % (SIP, f.addrs(SIP), f.log_text()))
        for d in self.secondaries:
            d.start()
        self.wait_converged(15)
        return self

    def converged(self):
        want = self.f.soa_serial(EN)
        return want is not None and all(d.serial(EN) == want for d in self.secondaries)

    def wait_converged(self, timeout):
        ok, took = poll(self.converged, timeout)
        if not ok:
            raise AssertionError('secondaries did not reach fodns serial %r within %.0f s: '
                                 'knot %r, nsd %r\n%s' % (
                                     self.f.soa_serial(EN), timeout, self.knot.serial(EN),
                                     self.nsd.serial(EN), self.diag()))
        return took

    def diag(self):
        out = [self.f.log_text()[-6000:]]
        for d in self.secondaries:
            out.append(d.log_tail(4000))
        out.append('tap: %r' % self.tap.events[-30:])
        if self.listener:
            out.append('notify listener: %r' % self.listener.received()[-20:])
        return '\n'.join(out)

    def cleanup(self, failed=False):
        for step in (lambda: [d.cleanup(failed) for d in self.secondaries],
                     lambda: self.f.cleanup(failed=failed),
                     lambda: self.tap.close(),
                     lambda: self.listener and self.listener.close(),
                     lambda: self.k1.cleanup(keep=failed),
                     lambda: self.k2.cleanup(keep=failed)):
            try:
                step()
            except Exception as e:  # noqa: BLE001 - keep cleaning up
                sys.stderr.write('cleanup: %s\n' % e)


# --------------------------------------------------------------------------
# Small utilities
# --------------------------------------------------------------------------
def poll(pred, timeout, interval=0.05):
    """(value, seconds) like fodns_harness.wait_for, polling every 50 ms."""
    return h.wait_for(pred, timeout, interval)


def median(xs):
    return statistics.median(xs) if xs else float('nan')


def figure(text):
    """Print a figure for the closing note of issue 5 (to stderr: meson
    shows it with --print-errorlogs / -v)."""
    sys.stderr.write('FIGURE: %s\n' % text)
    sys.stderr.flush()
