"""Helpers for test_secondaries.py: real secondaries (Knot DNS, NSD) of a
primary on loopback, a stdlib TSIG (RFC 8945, hmac-sha256/sha512/sha1), a
zone-transfer client that signs and verifies, a NOTIFY counter that answers
like a secondary, and a Knot primary used as a stand-in for fodns while
developing the harness (FODNS_E2E_PRIMARY=knot).

Everything listens on 127.0.0.1 on ports found free at run time; every
process runs in the foreground under the test and is killed by cleanup().
"""

import base64
import hashlib
import hmac
import os
import re
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fodns_harness as h  # noqa: E402

NOTAUTH = 9
BADSIG, BADKEY, BADTIME = 16, 17, 18
TSIG_TYPE = 250
ANY_CLASS = 255
ALGORITHMS = {
    'hmac-sha256': ('hmac-sha256.', hashlib.sha256),
    'hmac-sha512': ('hmac-sha512.', hashlib.sha512),
    'hmac-sha1': ('hmac-sha1.', hashlib.sha1),
}


TSIG_ERRORS = {0: 'NOERROR', BADSIG: 'BADSIG', BADKEY: 'BADKEY', BADTIME: 'BADTIME'}


def rcode_name(code):
    if code is None:
        return 'none'
    return {9: 'NOTAUTH', 10: 'NOTZONE', 6: 'YXDOMAIN'}.get(code) or h.rcode_name(code)


def new_secret(nbytes=32):
    return base64.b64encode(os.urandom(nbytes)).decode()


class Key:
    """A TSIG key: name (absolute), algorithm ('hmac-sha256'...), base64 secret."""

    def __init__(self, name, secret=None, algorithm='hmac-sha256'):
        self.name = name if name.endswith('.') else name + '.'
        self.secret = secret or new_secret()
        self.algorithm = algorithm

    @property
    def dig_arg(self):
        """The `-y` argument of dig and kdig."""
        return '%s:%s:%s' % (self.algorithm, self.name.rstrip('.'), self.secret)

    def with_secret(self, secret):
        return Key(self.name, secret, self.algorithm)

    def renamed(self, name):
        return Key(name, self.secret, self.algorithm)


# --------------------------------------------------------------------------
# TSIG (RFC 8945), enough for requests, responses and multi-message streams
# --------------------------------------------------------------------------
def _canon_name(name):
    return h.encode_name(name.lower())


def _rr_offsets(wire):
    """Offsets of the start of every RR (answer, authority, additional) and
    the end of the message."""
    qd, an, ns, ar = struct.unpack('!HHHH', wire[4:12])
    off = 12
    for _ in range(qd):
        _, off = h.read_name(wire, off)
        off += 4
    starts = []
    for _ in range(an + ns + ar):
        starts.append(off)
        _, off = h.read_name(wire, off)
        rdlen = struct.unpack('!H', wire[off + 8:off + 10])[0]
        off += 10 + rdlen
    return starts, off


class Tsig:
    """A parsed TSIG RR and the message it was cut from."""

    def __init__(self, wire):
        starts, end = _rr_offsets(wire)
        ar = struct.unpack('!H', wire[10:12])[0]
        self.present = False
        if not ar:
            self.unsigned = wire
            return
        start = starts[-1]
        name, off = h.read_name(wire, start)
        rtype, rclass, ttl, rdlen = struct.unpack('!HHIH', wire[off:off + 10])
        if rtype != TSIG_TYPE:
            self.unsigned = wire
            return
        self.present = True
        self.key_name = name
        off += 10
        self.algorithm, off = h.read_name(wire, off)
        hi, lo, self.fudge, mac_len = struct.unpack('!HIHH', wire[off:off + 10])
        self.time_signed = (hi << 32) | lo
        off += 10
        self.mac = wire[off:off + mac_len]
        off += mac_len
        self.original_id, self.error, other_len = struct.unpack('!HHH', wire[off:off + 6])
        off += 6
        self.other = wire[off:off + other_len]
        # The message as it was before signing: original ID, ARCOUNT - 1.
        body = bytearray(wire[:start])
        struct.pack_into('!H', body, 0, self.original_id)
        struct.pack_into('!H', body, 10, ar - 1)
        self.unsigned = bytes(body)


def _variables(key_name, alg_name, time_signed, fudge, error, other):
    return (_canon_name(key_name) + struct.pack('!HI', ANY_CLASS, 0) + _canon_name(alg_name) +
            struct.pack('!HIHHH', time_signed >> 32, time_signed & 0xffffffff, fudge,
                        error, len(other)) + other)


def _timers(time_signed, fudge):
    return struct.pack('!HIH', time_signed >> 32, time_signed & 0xffffffff, fudge)


def _mac(key, data):
    return hmac.new(base64.b64decode(key.secret), data, ALGORITHMS[key.algorithm][1]).digest()


def sign(wire, key, request_mac=None, time_signed=None, fudge=300, error=0, other=b''):
    """Append a TSIG RR to `wire`. request_mac: the MAC of the request when
    signing a response. Returns (signed wire, MAC)."""
    alg = ALGORITHMS[key.algorithm][0]
    t = int(time.time()) if time_signed is None else time_signed
    data = b''
    if request_mac is not None:
        data += struct.pack('!H', len(request_mac)) + request_mac
    data += wire + _variables(key.name, alg, t, fudge, error, other)
    mac = _mac(key, data)
    qid = struct.unpack('!H', wire[:2])[0]
    rdata = (h.encode_name(alg) + struct.pack('!HIHH', t >> 32, t & 0xffffffff, fudge, len(mac)) +
             mac + struct.pack('!HHH', qid, error, len(other)) + other)
    rr = h.encode_name(key.name) + struct.pack('!HHIH', TSIG_TYPE, ANY_CLASS, 0, len(rdata)) + rdata
    out = bytearray(wire + rr)
    ar = struct.unpack('!H', wire[10:12])[0]
    struct.pack_into('!H', out, 10, ar + 1)
    return bytes(out), mac


class StreamVerifier:
    """Verifies the TSIG of the messages of one response stream (RFC 8945
    §5.3.1: the first message signs request MAC + message + variables; later
    ones sign prior MAC + the messages since + timers; at most 99 unsigned
    messages in a row, and the last one signed)."""

    def __init__(self, key, request_mac):
        self.key = key
        self.prior = request_mac
        self.pending = b''
        self.first = True
        self.unsigned_run = 0
        self.errors = []
        self.signed = 0

    def feed(self, wire):
        t = Tsig(wire)
        if not t.present:
            if self.first:
                self.errors.append('first message unsigned')
            self.pending += wire
            self.unsigned_run += 1
            if self.unsigned_run > 99:
                self.errors.append('more than 99 unsigned messages in a row')
            return t
        if t.key_name.lower() != self.key.name.lower():
            self.errors.append('signed with key %s, not %s' % (t.key_name, self.key.name))
        data = struct.pack('!H', len(self.prior)) + self.prior + self.pending + t.unsigned
        if self.first:
            data += _variables(t.key_name, t.algorithm, t.time_signed, t.fudge, t.error, t.other)
        else:
            data += _timers(t.time_signed, t.fudge)
        want = _mac(self.key, data)
        if not t.mac:
            self.errors.append('empty MAC (TSIG error %d)' % t.error)
        elif not hmac.compare_digest(want, t.mac):
            self.errors.append('MAC mismatch on message %d' % (self.signed + self.unsigned_run + 1))
        if abs(int(time.time()) - t.time_signed) > t.fudge:
            self.errors.append('time signed %d off by more than fudge' % t.time_signed)
        self.prior = t.mac
        self.pending = b''
        self.first = False
        self.unsigned_run = 0
        self.signed += 1
        return t

    def finish(self):
        if self.unsigned_run:
            self.errors.append('last message unsigned')
        return self.errors


# --------------------------------------------------------------------------
# Zone transfers (our own client: signs, verifies, reports rcode and TSIG error)
# --------------------------------------------------------------------------
class Transfer:
    """The outcome of one AXFR/IXFR: messages, their records in order, the
    first rcode other than NOERROR, the TSIG error and verification problems."""

    def __init__(self):
        self.messages = []
        self.records = []
        self.rcode = None
        self.tsig_error = None
        self.tsig_problems = []
        self.bytes = 0
        self.seconds = 0.0
        self.complete = False
        self.closed_early = False

    @property
    def soa_serials(self):
        return [int(rr.text.split()[2]) for rr in self.records if rr.rtype == 6]

    def kind(self):
        """'AXFR' (full zone: SOA, non-SOA..., SOA), 'IXFR' (incremental:
        SOA new, SOA old, ...), 'SOA' (single SOA: current) or 'none'."""
        r = self.records
        if not r:
            return 'none'
        if len(r) == 1 and r[0].rtype == 6:
            return 'SOA'
        if len(r) >= 2 and r[1].rtype == 6 and len(r) > 2:
            return 'IXFR'
        return 'AXFR'

    def rrset(self):
        """The zone as a set of (name, ttl, type, rdata text) without the
        closing SOA (only meaningful for a full transfer)."""
        return {(rr.name.lower(), rr.ttl, h.type_name(rr.rtype), rr.text.lower())
                for rr in self.records[:-1] or self.records}

    def __repr__(self):
        return ('<Transfer rcode=%s tsig_error=%s records=%d messages=%d complete=%s kind=%s '
                'problems=%s>' % (rcode_name(self.rcode),
                                  TSIG_ERRORS.get(self.tsig_error, self.tsig_error),
                                  len(self.records),
                                  len(self.messages), self.complete, self.kind(),
                                  self.tsig_problems))


def soa_rr(zone, serial):
    """An IXFR authority SOA with the given serial (other fields are ignored)."""
    rdata = h.encode_name('.') + h.encode_name('.') + struct.pack('!IIIII', serial, 0, 0, 0, 0)
    return h.encode_name(zone) + struct.pack('!HHIH', 6, 1, 0, len(rdata)) + rdata


def _xfr_done(rrs):
    """Whether the records of an AXFR or IXFR answer are complete: the last one
    is the first SOA again, seen twice in a full zone (SOA ... SOA) and three
    times in an increment (SOA new, SOA old ... SOA new ... SOA new)."""
    if len(rrs) < 2 or rrs[-1].rtype != 6 or rrs[-1].text != rrs[0].text:
        return False
    again = sum(1 for rr in rrs if rr.rtype == 6 and rr.text == rrs[0].text)
    return again >= (3 if rrs[1].rtype == 6 else 2)


def transfer(addr, port, zone, qtype='AXFR', serial=None, key=None, source=None, timeout=10.0,
             time_signed=None):
    """One AXFR (or IXFR from `serial`) over TCP, optionally TSIG-signed with
    `key`, from `source` (a local address). Returns a Transfer."""
    qid = int.from_bytes(os.urandom(2), 'big')
    wire = h.make_query(zone, qtype, qid=qid)
    if qtype == 'IXFR':
        wire = bytearray(wire + soa_rr(zone, serial))
        struct.pack_into('!H', wire, 8, 1)
        wire = bytes(wire)
    mac = None
    if key is not None:
        wire, mac = sign(wire, key, time_signed=time_signed)
    out = Transfer()
    start = time.monotonic()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.settimeout(timeout)
        if source:
            s.bind((source, 0))
        s.connect((addr, port))
        h.tcp_send(s, wire)
        verifier = StreamVerifier(key, mac) if key is not None else None
        soas = 0
        while True:
            try:
                reply = h.tcp_recv(s)
            except (socket.timeout, ConnectionResetError):
                reply = None
            if reply is None:
                out.closed_early = True
                break
            out.bytes += len(reply) + 2
            m = h.Message(reply)
            out.messages.append(m)
            t = Tsig(reply)
            if t.present:
                out.tsig_error = t.error
            if m.rcode != h.NOERROR:
                out.rcode = m.rcode
                if verifier is not None and t.present and t.mac:
                    verifier.feed(reply)
                break
            if verifier is not None:
                verifier.feed(reply)
            for rr in m.answer:
                if rr.rtype == TSIG_TYPE:
                    continue
                out.records.append(rr)
                if rr.rtype == 6:
                    soas += 1
            r = out.records
            if not r:
                continue
            if qtype == 'AXFR' and soas >= 2:
                out.complete = True
                break
            if qtype == 'IXFR':
                new_serial = int(r[0].text.split()[2])
                if len(r) == 1 and new_serial == serial:
                    out.complete = True  # current: a single SOA
                    break
                if _xfr_done(r):
                    out.complete = True
                    break
        if out.rcode is None:
            out.rcode = h.NOERROR if out.messages else None
        if verifier is not None and out.rcode == h.NOERROR:
            out.tsig_problems = verifier.finish()
        elif verifier is not None:
            out.tsig_problems = verifier.errors
    finally:
        s.close()
    out.seconds = time.monotonic() - start
    return out


def signed_query(addr, port, qname, qtype, key, tcp=False, timeout=2.0):
    """A TSIG-signed query (as a secondary's refresh sends its SOA query).
    Returns (Message or None, Tsig of the reply or None, verification problems)."""
    wire, mac = sign(h.make_query(qname, qtype), key)
    reply = (h.tcp_exchange if tcp else h.udp_exchange)(addr, port, wire, timeout=timeout)
    if reply is None:
        return None, None, ['no reply']
    v = StreamVerifier(key, mac)
    t = v.feed(reply)
    return h.Message(reply), t, v.finish()


def dig_axfr(addr, port, zone, key=None, source=None, kdig=False, qtype='AXFR', tail=()):
    """dig (or kdig) AXFR/IXFR; returns (returncode, stdout+stderr)."""
    exe = shutil.which('kdig' if kdig else 'dig')
    argv = [exe, '@' + addr, '-p', str(port)]
    if source:
        argv += ['-b', source]
    if key is not None:
        argv += ['-y', key.dig_arg]
    argv += (['+timeout=3', '+retry=0'] if kdig else ['+time=3', '+tries=1'])
    argv += [zone, qtype] + list(tail)
    cp = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    return cp.returncode, cp.stdout + cp.stderr


# --------------------------------------------------------------------------
# Processes
# --------------------------------------------------------------------------
def free_loopback_port(addr='127.0.0.1'):
    """A port free for both UDP and TCP on addr (bind port 0, then check UDP)."""
    for _ in range(50):
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            t.bind((addr, 0))
            port = t.getsockname()[1]
            u.bind((addr, port))
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
# NOTIFY counter
# --------------------------------------------------------------------------
class NotifyListener:
    """A UDP socket on 127.0.0.1 that a primary sends NOTIFY to. It counts the
    NOTIFYs (opcode 4) with their arrival time, SOA serial (when present) and
    TSIG state, and answers each one like a secondary would: same ID and
    question, QR and AA set, NOERROR, signed with `key` when the NOTIFY was
    signed with it (RFC 8945 §5.3), so the primary stops retrying."""

    def __init__(self, key=None, answer=True):
        self.key = key
        self.answer = answer
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(('127.0.0.1', 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.notifies = []  # dicts: t, id, qname, serial, signed, key, tsig_ok
        self.other = 0
        self._stop = False
        self._lock = threading.Lock()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self._stop:
            try:
                data, peer = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                self._handle(data, peer)
            except (h.ParseError, struct.error, IndexError, ValueError):
                with self._lock:
                    self.other += 1

    def _handle(self, data, peer):
        m = h.Message(data)
        if m.opcode != 4 or m.qr:
            with self._lock:
                self.other += 1
            return
        t = Tsig(data)
        rec = {'t': time.monotonic(), 'id': m.id, 'peer': peer,
               'qname': m.question[0][0] if m.question else None, 'serial': None,
               'signed': t.present, 'key': t.key_name if t.present else None, 'tsig_ok': None}
        soa = m.rrs('answer', 'SOA')
        if soa:
            rec['serial'] = int(soa[0].text.split()[2])
        mac = None
        if t.present and self.key is not None and t.key_name.lower() == self.key.name.lower():
            v = StreamVerifier(self.key, b'')
            # A request MAC covers no prior MAC: verify it directly.
            data_to_sign = t.unsigned + _variables(t.key_name, t.algorithm, t.time_signed,
                                                   t.fudge, t.error, t.other)
            rec['tsig_ok'] = hmac.compare_digest(_mac(self.key, data_to_sign), t.mac)
            del v
            mac = t.mac
        with self._lock:
            self.notifies.append(rec)
        if not self.answer:
            return
        # Response: header with QR|AA|opcode 4, the question, nothing else.
        qd_end = 12
        for _ in range(m.counts[0]):
            _, qd_end = h.read_name(data, qd_end)
            qd_end += 4
        flags = 0x8000 | (4 << 11) | 0x0400
        reply = struct.pack('!HHHHHH', m.id, flags, m.counts[0], 0, 0, 0) + data[12:qd_end]
        if mac is not None:
            reply, _ = sign(reply, self.key, request_mac=mac)
        self.sock.sendto(reply, peer)

    def count(self, since=None):
        with self._lock:
            return sum(1 for n in self.notifies if since is None or n['t'] >= since)

    def received(self, since=None):
        with self._lock:
            return [dict(n) for n in self.notifies if since is None or n['t'] >= since]

    def close(self):
        self._stop = True
        self.thread.join(2)
        self.sock.close()


# --------------------------------------------------------------------------
# A transparent tap between a secondary and its primary
# --------------------------------------------------------------------------
class XfrTap:
    """Relays UDP and TCP DNS from a secondary to the primary unchanged (TSIG
    still verifies: not a byte is touched) and records what it sees: every
    request's type (SOA, IXFR with the client's serial, AXFR) and, for
    transfers, the shape of the answer: 'IXFR' (incremental: the second RR is
    a SOA), 'AXFR' (full zone, also an AXFR-style IXFR) or 'SOA' (current).
    NSD's release build does not log whether it got IXFR or AXFR; this does."""

    def __init__(self, upstream_addr, upstream_port):
        self.up = (upstream_addr, upstream_port)
        self.addr = '127.0.0.1'
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        for _ in range(50):
            self.tcp.bind((self.addr, 0))
            self.port = self.tcp.getsockname()[1]
            self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            try:
                self.udp.bind((self.addr, self.port))
                break
            except OSError:
                self.udp.close()
                self.tcp.close()
                self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.listen(16)
        self.tcp.settimeout(0.2)
        self.udp.settimeout(0.2)
        self.events = []  # dicts: t, proto, qtype, serial, answer
        self._lock = threading.Lock()
        self._stop = False
        self._threads = [threading.Thread(target=self._tcp_loop, daemon=True),
                         threading.Thread(target=self._udp_loop, daemon=True)]
        for t in self._threads:
            t.start()

    def _record(self, ev):
        with self._lock:
            self.events.append(ev)

    @staticmethod
    def _request(wire):
        m = h.Message(wire)
        qtype = h.type_name(m.question[0][1]) if m.question else '?'
        serial = None
        soa = m.rrs('authority', 'SOA')
        if qtype == 'IXFR' and soa:
            serial = int(soa[0].text.split()[2])
        return qtype, serial

    def _udp_loop(self):
        while not self._stop:
            try:
                data, peer = self.udp.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self._udp_one, args=(data, peer), daemon=True).start()

    def _udp_one(self, data, peer):
        try:
            qtype, serial = self._request(data)
        except (h.ParseError, struct.error, IndexError):
            qtype, serial = '?', None
        ev = {'t': time.monotonic(), 'proto': 'udp', 'qtype': qtype, 'serial': serial,
              'answer': None}
        reply = h.udp_exchange(self.up[0], self.up[1], data, timeout=3.0)
        if reply is not None:
            try:
                ev['answer'] = rcode_name(h.Message(reply).rcode)
            except h.ParseError:
                ev['answer'] = 'unparsable'
            try:
                self.udp.sendto(reply, peer)
            except OSError:
                pass
        self._record(ev)

    def _tcp_loop(self):
        while not self._stop:
            try:
                c, _ = self.tcp.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self._tcp_one, args=(c,), daemon=True).start()

    def _tcp_one(self, c):
        try:
            u = socket.create_connection(self.up, timeout=10)
        except OSError:
            c.close()
            return
        c.settimeout(10)
        u.settimeout(10)
        pending = []  # requests waiting for their answer, in order

        def down():  # upstream -> client, one message at a time
            rrs, ev = [], None
            try:
                while True:
                    msg = h.tcp_recv(u)
                    if msg is None:
                        break
                    c.sendall(struct.pack('!H', len(msg)) + msg)
                    if ev is None and pending:
                        ev, rrs = pending.pop(0), []
                    if ev is None:
                        continue
                    try:
                        m = h.Message(msg)
                    except h.ParseError:
                        continue
                    if m.rcode != h.NOERROR:
                        ev['answer'] = rcode_name(m.rcode)
                        self._record(ev)
                        ev = None
                        continue
                    rrs += [rr for rr in m.answer if rr.rtype != TSIG_TYPE]
                    if ev['qtype'] not in ('AXFR', 'IXFR'):
                        ev['answer'] = 'NOERROR'
                        self._record(ev)
                        ev = None
                        continue
                    kind = None
                    if len(rrs) >= 2:
                        kind = 'IXFR' if rrs[1].rtype == 6 else 'AXFR'
                    elif len(rrs) == 1 and ev['qtype'] == 'IXFR' and \
                            int(rrs[0].text.split()[2]) == ev['serial']:
                        kind = 'SOA'
                    done = kind == 'SOA' or (kind is not None and _xfr_done(rrs))
                    if done:
                        ev['answer'] = kind
                        ev['records'] = len(rrs)
                        self._record(ev)
                        ev = None
            except (OSError, socket.timeout):
                pass
            finally:
                if ev is not None:
                    ev['answer'] = 'incomplete'
                    self._record(ev)
                try:
                    c.shutdown(socket.SHUT_WR)
                except OSError:
                    pass

        t = threading.Thread(target=down, daemon=True)
        t.start()
        try:
            while True:
                msg = h.tcp_recv(c)
                if msg is None:
                    break
                try:
                    qtype, serial = self._request(msg)
                except (h.ParseError, struct.error, IndexError):
                    qtype, serial = '?', None
                pending.append({'t': time.monotonic(), 'proto': 'tcp', 'qtype': qtype,
                                'serial': serial, 'answer': None})
                u.sendall(struct.pack('!H', len(msg)) + msg)
        except (OSError, socket.timeout):
            pass
        try:
            u.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        t.join(15)
        u.close()
        c.close()

    def transfers(self, since=None):
        """[(request type, answer shape)] of the transfer requests seen."""
        with self._lock:
            return [(e['qtype'], e['answer']) for e in self.events
                    if e['qtype'] in ('AXFR', 'IXFR') and (since is None or e['t'] >= since)]

    def close(self):
        self._stop = True
        for t in self._threads:
            t.join(2)
        self.tcp.close()
        self.udp.close()


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
