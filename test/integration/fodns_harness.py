"""Shared helpers for the fodns end-to-end tests (stdlib only).

- A tiny raw DNS client: build queries with struct, send them over UDP/TCP,
  parse answers generically (name, type, class, TTL, rdata) with the names
  inside NS/CNAME/SOA/MX/PTR/SRV/NAPTR... rdata decompressed, so that
  compressed and uncompressed forms compare equal.
- Fodns: a temp dir, `fodns --db DB zone import ZONE`, then
  `fodns --db DB serve --listen 127.0.0.1:PORT --listen [::1]:PORT --threads 2`
  on a free port (retried on bind failure), ready when it answers a SOA query.
- Knot: knotd with its own config, rundir and storage on a free port.
- dig(): `dig +norec +time=2 +tries=1 @ADDR -p PORT ...` (optionally +tcp).
"""

import os
import random
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
ZONES = os.path.join(REPO, 'zones')
TEST_ZONES = os.path.join(HERE, 'zones')

# (origin, file) of the fixture zones served by every test server.
FIXTURE_ZONES = [
    ('example.net.', os.path.join(ZONES, 'example.net.zone')),
    ('rules.test.', os.path.join(ZONES, 'test-rules.zone')),
    ('lowttl.test.', os.path.join(TEST_ZONES, 'lowttl.test.zone')),
]

# --------------------------------------------------------------------------
# DNS constants
# --------------------------------------------------------------------------
TYPES = {
    'A': 1, 'NS': 2, 'CNAME': 5, 'SOA': 6, 'PTR': 12, 'HINFO': 13, 'MX': 15,
    'TXT': 16, 'RP': 17, 'AFSDB': 18, 'AAAA': 28, 'SRV': 33, 'NAPTR': 35,
    'KX': 36, 'DNAME': 39, 'OPT': 41, 'DS': 43, 'RRSIG': 46, 'NSEC': 47,
    'DNSKEY': 48, 'CAA': 257, 'ANY': 255, 'AXFR': 252, 'IXFR': 251,
}
TYPE_NAMES = {v: k for k, v in TYPES.items()}
CLASSES = {'IN': 1, 'CH': 3, 'HS': 4, 'NONE': 254, 'ANY': 255}
RCODES = {0: 'NOERROR', 1: 'FORMERR', 2: 'SERVFAIL', 3: 'NXDOMAIN', 4: 'NOTIMP',
          5: 'REFUSED', 16: 'BADVERS'}
NOERROR, FORMERR, SERVFAIL, NXDOMAIN, NOTIMP, REFUSED, BADVERS = 0, 1, 2, 3, 4, 5, 16


def qtype_code(t):
    if isinstance(t, int):
        return t
    t = t.upper()
    if t.startswith('TYPE'):
        return int(t[4:])
    return TYPES[t]


def type_name(code):
    return TYPE_NAMES.get(code, 'TYPE%d' % code)


def rcode_name(code):
    return RCODES.get(code, 'RCODE%d' % code)


# --------------------------------------------------------------------------
# Building messages
# --------------------------------------------------------------------------
def encode_name(name):
    """Wire form of a presentation name ('.'-separated, trailing dot optional)."""
    if name in ('.', ''):
        return b'\x00'
    out = b''
    for label in name.rstrip('.').split('.'):
        raw = label.encode('ascii')
        out += bytes([len(raw)]) + raw
    return out + b'\x00'


def header(qid, flags=0, qd=1, an=0, ns=0, ar=0):
    return struct.pack('!HHHHHH', qid, flags, qd, an, ns, ar)


def flags_word(qr=0, opcode=0, aa=0, tc=0, rd=0, ra=0, ad=0, cd=0, rcode=0):
    return ((qr << 15) | (opcode << 11) | (aa << 10) | (tc << 9) | (rd << 8) |
            (ra << 7) | (ad << 5) | (cd << 4) | rcode)


def opt_rr(payload=1232, ext_rcode=0, version=0, do=0, options=(), owner=b'\x00'):
    """An OPT pseudo-RR; options is a list of (code, bytes)."""
    rdata = b''.join(struct.pack('!HH', c, len(d)) + d for c, d in options)
    ttl = (ext_rcode << 24) | (version << 16) | (0x8000 if do else 0)
    return owner + struct.pack('!HHIH', 41, payload, ttl, len(rdata)) + rdata


def make_query(qname, qtype='A', qclass='IN', qid=None, rd=False, opcode=0,
               qr=False, edns=False, payload=1232, version=0, options=(),
               extra_opts=0, cd=False):
    """A query message. edns=True adds one OPT (extra_opts more copies)."""
    if qid is None:
        qid = random.randint(0, 0xffff)
    cls = CLASSES[qclass] if isinstance(qclass, str) else qclass
    ar = (1 + extra_opts) if edns else 0
    msg = header(qid, flags_word(qr=int(qr), opcode=opcode, rd=int(rd), cd=int(cd)), 1, 0, 0, ar)
    msg += encode_name(qname) + struct.pack('!HH', qtype_code(qtype), cls)
    if edns:
        for _ in range(1 + extra_opts):
            msg += opt_rr(payload=payload, version=version, options=options)
    return msg


# --------------------------------------------------------------------------
# Parsing messages
# --------------------------------------------------------------------------
class ParseError(Exception):
    pass


def read_name(msg, off, depth=0):
    """Returns (name presentation with trailing dot, offset after the name)."""
    labels = []
    end = None
    hops = 0
    total = 0
    while True:
        if off >= len(msg):
            raise ParseError('name runs past the end')
        ln = msg[off]
        if ln & 0xC0 == 0xC0:
            if off + 1 >= len(msg):
                raise ParseError('truncated pointer')
            ptr = ((ln & 0x3F) << 8) | msg[off + 1]
            if end is None:
                end = off + 2
            hops += 1
            if hops > 64:
                raise ParseError('compression loop')
            off = ptr
            continue
        if ln & 0xC0:
            raise ParseError('bad label type')
        off += 1
        if ln == 0:
            break
        if off + ln > len(msg):
            raise ParseError('label runs past the end')
        labels.append(msg[off:off + ln])
        total += ln + 1
        if total > 255:
            raise ParseError('name too long')
        off += ln
    if end is None:
        end = off
    text = '.'.join(''.join(chr(c) if 0x21 <= c <= 0x7e and c not in (0x2e, 0x5c) else '\\%03d' % c
                            for c in lab) for lab in labels) + '.'
    return text, end


# Where the domain names sit in the rdata of each type: a list of
# ('name' | (fixed byte count) | 'rest') items; 'rest' ends the scan.
_RDATA_LAYOUT = {
    2: ['name'], 5: ['name'], 12: ['name'], 39: ['name'],
    6: ['name', 'name', 20],
    15: [2, 'name'], 18: [2, 'name'], 36: [2, 'name'],
    17: ['name', 'name'],
    33: [6, 'name'],
}


def _naptr_canon(msg, off, end):
    o = off + 4
    parts = [msg[off:o]]
    for _ in range(3):
        ln = msg[o]
        parts.append(msg[o:o + 1 + ln])
        o += 1 + ln
    name, o = read_name(msg, o)
    if o != end:
        raise ParseError('NAPTR rdata length mismatch')
    return b''.join(parts), name


class RR:
    """One resource record. `rdata` is canonical: embedded names are expanded
    and lowercased so compressed/uncompressed and case variants compare equal."""

    def __init__(self, name, rtype, rclass, ttl, rdata, text):
        self.name = name
        self.rtype = rtype
        self.rclass = rclass
        self.ttl = ttl
        self.rdata = rdata
        self.text = text

    def key(self):
        """Comparison key: name case-insensitive, TTL exact."""
        return (self.name.lower(), self.rtype, self.rclass, self.ttl, self.rdata)

    def __repr__(self):
        return '%s %d %s %s %s' % (self.name, self.ttl,
                                   {1: 'IN', 3: 'CH'}.get(self.rclass, 'CLASS%d' % self.rclass),
                                   type_name(self.rtype), self.text)


def _rdata_text(rtype, msg, off, rdlen, names):
    raw = msg[off:off + rdlen]
    try:
        if rtype == 1 and rdlen == 4:
            return socket.inet_ntop(socket.AF_INET, raw)
        if rtype == 28 and rdlen == 16:
            return socket.inet_ntop(socket.AF_INET6, raw)
        if rtype in (2, 5, 12, 39):
            return names[0]
        if rtype == 6:
            return '%s %s %d %d %d %d %d' % ((names[0], names[1]) + struct.unpack('!IIIII', raw[-20:]))
        if rtype == 15:
            return '%d %s' % (struct.unpack('!H', raw[:2])[0], names[0])
        if rtype == 33:
            return '%d %d %d %s' % (struct.unpack('!HHH', raw[:6]) + (names[0],))
        if rtype == 16:
            out, o = [], 0
            while o < len(raw):
                ln = raw[o]
                out.append('"%s"' % raw[o + 1:o + 1 + ln].decode('latin-1'))
                o += 1 + ln
            return ' '.join(out)
        if rtype == 35:
            order, pref = struct.unpack('!HH', raw[:4])
            o, strs = 4, []
            for _ in range(3):
                ln = raw[o]
                strs.append('"%s"' % raw[o + 1:o + 1 + ln].decode('latin-1'))
                o += 1 + ln
            return '%d %d %s %s' % (order, pref, ' '.join(strs), names[0])
    except (IndexError, struct.error, ValueError):
        pass
    return '\\# %d %s' % (rdlen, raw.hex())


def parse_rr(msg, off):
    name, off = read_name(msg, off)
    if off + 10 > len(msg):
        raise ParseError('truncated RR header')
    rtype, rclass, ttl, rdlen = struct.unpack('!HHIH', msg[off:off + 10])
    off += 10
    end = off + rdlen
    if end > len(msg):
        raise ParseError('rdata runs past the end')
    names = []
    if rtype == 35:
        fixed, nm = _naptr_canon(msg, off, end)
        names = [nm]
        canon = fixed + encode_name(nm.lower())
    elif rtype in _RDATA_LAYOUT:
        o = off
        canon = b''
        for item in _RDATA_LAYOUT[rtype]:
            if item == 'name':
                nm, o = read_name(msg, o)
                names.append(nm)
                canon += b'N' + nm.lower().encode('latin-1') + b'\x00'
            else:
                canon += msg[o:o + item]
                o += item
        if o != end:
            raise ParseError('rdata length mismatch for %s' % type_name(rtype))
    else:
        canon = msg[off:end]
    text = _rdata_text(rtype, msg, off, rdlen, names)
    return RR(name, rtype, rclass, ttl, canon, text), end


class Message:
    """A parsed DNS message. The OPT record is removed from `additional` and
    summarized in `opt` (None when absent)."""

    def __init__(self, wire):
        self.wire = wire
        if len(wire) < 12:
            raise ParseError('short header')
        (self.id, self.flags, qd, an, ns, ar) = struct.unpack('!HHHHHH', wire[:12])
        self.counts = (qd, an, ns, ar)
        off = 12
        self.question = []
        for _ in range(qd):
            name, off = read_name(wire, off)
            if off + 4 > len(wire):
                raise ParseError('truncated question')
            qt, qc = struct.unpack('!HH', wire[off:off + 4])
            off += 4
            self.question.append((name, qt, qc))
        self.answer, self.authority, self.additional = [], [], []
        self.opts = []
        for count, section in ((an, self.answer), (ns, self.authority), (ar, self.additional)):
            for _ in range(count):
                rr, off = parse_rr(wire, off)
                if rr.rtype == 41 and section is self.additional:
                    self.opts.append(rr)
                else:
                    section.append(rr)
        self.trailing = len(wire) - off
        self.opt = None
        if self.opts:
            o = self.opts[0]
            self.opt = {
                'payload': o.rclass,
                'ext_rcode': o.ttl >> 24,
                'version': (o.ttl >> 16) & 0xff,
                'do': bool(o.ttl & 0x8000),
                'owner': o.name,
            }

    qr = property(lambda s: bool(s.flags & 0x8000))
    opcode = property(lambda s: (s.flags >> 11) & 0xf)
    aa = property(lambda s: bool(s.flags & 0x0400))
    tc = property(lambda s: bool(s.flags & 0x0200))
    rd = property(lambda s: bool(s.flags & 0x0100))
    ra = property(lambda s: bool(s.flags & 0x0080))
    ad = property(lambda s: bool(s.flags & 0x0020))
    cd = property(lambda s: bool(s.flags & 0x0010))

    @property
    def rcode(self):
        r = self.flags & 0xf
        if self.opt:
            r |= self.opt['ext_rcode'] << 4
        return r

    def flag_text(self):
        return ' '.join(f for f in ('qr', 'aa', 'tc', 'rd', 'ra', 'ad', 'cd') if getattr(self, f))

    def section(self, which):
        return {'answer': self.answer, 'authority': self.authority,
                'additional': self.additional}[which]

    def rrs(self, which, rtype=None, name=None):
        out = []
        for rr in self.section(which):
            if rtype is not None and rr.rtype != qtype_code(rtype):
                continue
            if name is not None and rr.name.lower() != name.lower():
                continue
            out.append(rr)
        return out

    def __str__(self):
        lines = [';; id %d opcode %d rcode %s flags: %s' % (
            self.id, self.opcode, rcode_name(self.rcode), self.flag_text())]
        if self.opt:
            lines.append(';; OPT %r' % (self.opt,))
        for q in self.question:
            lines.append(';; QUESTION %s %s %s' % (q[0], {1: 'IN', 3: 'CH'}.get(q[2], q[2]), type_name(q[1])))
        for sec in ('answer', 'authority', 'additional'):
            rrs = self.section(sec)
            if rrs:
                lines.append(';; %s' % sec.upper())
                lines.extend('   %r' % rr for rr in rrs)
        return '\n'.join(lines)


# --------------------------------------------------------------------------
# Transport
# --------------------------------------------------------------------------
def _family(addr):
    return socket.AF_INET6 if ':' in addr else socket.AF_INET


def udp_exchange(addr, port, wire, timeout=2.0, expect_reply=True, bufsize=65535):
    """Send one datagram; return the reply bytes or None on timeout."""
    s = socket.socket(_family(addr), socket.SOCK_DGRAM)
    try:
        s.settimeout(timeout)
        s.sendto(wire, (addr, port))
        try:
            while True:
                data, _ = s.recvfrom(bufsize)
                return data
        except socket.timeout:
            return None
    finally:
        s.close()


def recv_exact(s, n):
    buf = b''
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def tcp_connect(addr, port, timeout=3.0):
    s = socket.socket(_family(addr), socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect((addr, port))
    return s


def tcp_send(s, wire):
    s.sendall(struct.pack('!H', len(wire)) + wire)


def tcp_recv(s):
    """One length-prefixed message, or None when the peer closed."""
    ln = recv_exact(s, 2)
    if ln is None:
        return None
    return recv_exact(s, struct.unpack('!H', ln)[0])


def tcp_exchange(addr, port, wire, timeout=3.0):
    s = tcp_connect(addr, port, timeout)
    try:
        tcp_send(s, wire)
        try:
            return tcp_recv(s)
        except (socket.timeout, ConnectionResetError):
            return None
    finally:
        s.close()


def query(addr, port, qname, qtype='A', tcp=False, timeout=2.0, **kw):
    """Build, send, parse. Returns a Message, or None when there was no reply."""
    wire = make_query(qname, qtype, **kw)
    reply = (tcp_exchange if tcp else udp_exchange)(addr, port, wire, timeout=timeout)
    if reply is None:
        return None
    return Message(reply)


# --------------------------------------------------------------------------
# Ports and processes
# --------------------------------------------------------------------------
def free_port(ipv6=True):
    """A port free for UDP and TCP on 127.0.0.1 (and ::1). Racy by nature;
    callers retry when the server then fails to bind."""
    for _ in range(50):
        port = random.randint(20000, 60000)
        socks = []
        try:
            fams = [(socket.AF_INET, '127.0.0.1')]
            if ipv6 and socket.has_ipv6:
                fams.append((socket.AF_INET6, '::1'))
            for fam, a in fams:
                for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                    s = socket.socket(fam, kind)
                    socks.append(s)
                    s.bind((a, port))
            return port
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError('no free port found')


def ipv6_loopback_available():
    try:
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.bind(('::1', 0))
        s.close()
        return True
    except OSError:
        return False


def wait_answering(addr, port, apex, deadline_s=10.0, proc=None):
    """Poll with a raw UDP SOA query until an AA NOERROR answer comes back."""
    end = time.time() + deadline_s
    while time.time() < end:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            m = query(addr, port, apex, 'SOA', timeout=0.3)
            if m is not None and m.rcode == NOERROR and m.answer:
                return True
        except (OSError, ParseError):
            pass
        time.sleep(0.1)
    return False


class ServerProcess:
    """Common start/stop/log handling for fodns and knotd."""
    name = 'server'

    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix='fodns-e2e-%s-' % self.name)
        self.proc = None
        self.port = None
        self.addr = '127.0.0.1'
        self.stderr_path = os.path.join(self.tmp, 'stderr.log')
        self.stdout_path = os.path.join(self.tmp, 'stdout.log')

    def log_text(self):
        out = []
        for p in (self.stdout_path, self.stderr_path):
            try:
                with open(p, errors='replace') as f:
                    txt = f.read()
                if txt:
                    out.append('--- %s %s ---\n%s' % (self.name, os.path.basename(p), txt[-8000:]))
            except OSError:
                pass
        return '\n'.join(out)

    def _spawn(self, argv):
        self._out = open(self.stdout_path, 'ab')
        self._err = open(self.stderr_path, 'ab')
        self.proc = subprocess.Popen(argv, stdout=self._out, stderr=self._err,
                                     stdin=subprocess.DEVNULL, cwd=self.tmp)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(5)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(5)
            self.proc = None
            self._out.close()
            self._err.close()

    def cleanup(self, failed=False):
        self.stop()
        if failed or os.environ.get('FODNS_E2E_KEEP'):
            sys.stderr.write(self.log_text() + '\n')
            sys.stderr.write('(%s files kept in %s)\n' % (self.name, self.tmp))
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def query(self, qname, qtype='A', tcp=False, addr=None, **kw):
        return query(addr or self.addr, self.port, qname, qtype, tcp=tcp, **kw)

    def raw_udp(self, wire, timeout=1.0, addr=None):
        return udp_exchange(addr or self.addr, self.port, wire, timeout=timeout)

    def raw_tcp(self, wire, timeout=3.0, addr=None):
        return tcp_exchange(addr or self.addr, self.port, wire, timeout=timeout)


def fodns_binary():
    exe = os.environ.get('FODNS')
    if not exe:
        for cand in ('build-e2e/src/fodns', 'build/src/fodns'):
            p = os.path.join(REPO, cand)
            if os.path.exists(p):
                return p
        raise RuntimeError('FODNS is not set (meson passes the fodns binary in $FODNS)')
    return exe


class Fodns(ServerProcess):
    name = 'fodns'

    def __init__(self, zones=None, threads=2, serve_args=None):
        super().__init__()
        self.exe = fodns_binary()
        # No HTTP endpoint unless asked: tests run side by side and 9153 is shared.
        self.serve_args = ['--http', 'none'] if serve_args is None else list(serve_args)
        self.db = os.path.join(self.tmp, 'fodns.db')
        self.zones = FIXTURE_ZONES if zones is None else zones
        self.threads = threads
        self.ipv6 = ipv6_loopback_available()

    def cli(self, *args, check=True):
        """Run `fodns --db DB ARGS...`; returns the CompletedProcess."""
        cp = subprocess.run([self.exe, '--db', self.db] + list(args), capture_output=True,
                            text=True, timeout=60, env=dict(os.environ, FODNS_DB=self.db))
        if check and cp.returncode != 0:
            raise RuntimeError('fodns %s: exit %d\n%s%s' % (' '.join(args), cp.returncode,
                                                          cp.stdout, cp.stderr))
        return cp

    def start(self):
        for origin, path in self.zones:
            self.cli('zone', 'import', path)  # the files carry $ORIGIN
        apex = self.zones[0][0]
        last = ''
        for attempt in range(5):
            self.port = free_port(self.ipv6)
            argv = [self.exe, '--db', self.db, 'serve', '--listen', '127.0.0.1:%d' % self.port]
            if self.ipv6:
                argv += ['--listen', '[::1]:%d' % self.port]
            argv += ['--threads', str(self.threads)] + self.serve_args
            self._spawn(argv)
            if wait_answering(self.addr, self.port, apex, 10.0, self.proc):
                return self
            last = self.log_text()
            self.stop()
        raise RuntimeError('fodns serve did not come up on 127.0.0.1\n' + last)


KNOT_CONF = """\
server:
    rundir: "{tmp}/run"
    listen: 127.0.0.1@{port}
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
log:
  - target: stderr
    any: info
database:
    storage: "{tmp}/db"
template:
  - id: default
    storage: "{tmp}/storage"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
    semantic-checks: off
zone:
{zones}"""


def knotd_binary():
    for p in ('/usr/sbin/knotd', shutil.which('knotd') or ''):
        if p and os.path.exists(p):
            return p
    return None


class Knot(ServerProcess):
    name = 'knot'

    def __init__(self, zones=None):
        super().__init__()
        self.exe = knotd_binary()
        self.ipv6 = False
        self.zones = FIXTURE_ZONES if zones is None else zones

    def start(self):
        for d in ('run', 'db', 'storage'):
            os.makedirs(os.path.join(self.tmp, d), exist_ok=True)
        zone_conf = ''
        for origin, path in self.zones:
            zone_conf += '  - domain: %s\n    file: "%s"\n' % (origin, os.path.abspath(path))
        last = ''
        for attempt in range(5):
            self.port = free_port(False)
            conf = os.path.join(self.tmp, 'knot.conf')
            with open(conf, 'w') as f:
                f.write(KNOT_CONF.format(tmp=self.tmp, port=self.port, zones=zone_conf))
            self._spawn([self.exe, '-c', conf])
            if all(wait_answering(self.addr, self.port, origin, 10.0, self.proc)
                   for origin, _ in self.zones):
                return self
            last = self.log_text()
            self.stop()
        raise RuntimeError('knotd did not come up\n' + last)


# --------------------------------------------------------------------------
# dig
# --------------------------------------------------------------------------
def dig(addr, port, *args, tcp=False):
    """Run dig; returns (status, flags set, stdout)."""
    exe = shutil.which('dig')
    if exe is None:
        return None
    argv = [exe, '+norec', '+time=2', '+tries=1', '@' + addr, '-p', str(port)]
    if tcp:
        argv.append('+tcp')
    argv += list(args)
    cp = subprocess.run(argv, capture_output=True, text=True, timeout=20)
    status, flags = None, set()
    for line in cp.stdout.splitlines():
        if 'status:' in line:
            status = line.split('status:')[1].split(',')[0].strip()
        if line.startswith(';; flags:'):
            flags = set(line.split(':')[1].split(';')[0].split())
    return status, flags, cp.stdout


# --------------------------------------------------------------------------
# Failover helpers (test_failover_*.py, tools/bench/failover*): fodns with
# backends configured between import and serve, its status/events/metrics,
# answer sets, and Kamailio instances run in the foreground.
# --------------------------------------------------------------------------
import json  # noqa: E402
import signal  # noqa: E402
import urllib.request  # noqa: E402


def wait_for(pred, timeout=5.0, interval=0.02):
    """Poll pred() until it returns a true value or timeout seconds pass.
    Returns (value, seconds waited); value is the last (false) one on timeout."""
    start = time.monotonic()
    val = None
    while True:
        try:
            val = pred()
        except (OSError, ParseError):
            val = None
        if val:
            return val, time.monotonic() - start
        if time.monotonic() - start > timeout:
            return val, time.monotonic() - start
        time.sleep(interval)


def fodns_serve_has_option(exe, option):
    cp = subprocess.run([exe, 'serve', '--help'], capture_output=True, text=True, timeout=30)
    return option in cp.stdout + cp.stderr


class FailoverFodns(Fodns):
    """fodns for failover tests: `import_zones()`, then configure backends with
    `cli(...)`, then `serve()`. With http=True (and when `serve --help` knows
    --http) it also serves /metrics on a free port; otherwise --http none."""
    name = 'fodns'

    def __init__(self, zones=None, threads=2, http=True):
        super().__init__(zones=zones, threads=threads)
        self.exe = os.path.abspath(self.exe)  # serve runs in self.tmp
        self.want_http = http
        self.http_port = None

    def import_zones(self):
        for origin, path in self.zones:
            self.cli('zone', 'import', path)
        return self

    def serve(self, extra_args=(), deadline_s=15.0):
        apex = self.zones[0][0]
        has_http = fodns_serve_has_option(self.exe, '--http')
        last = ''
        for attempt in range(5):
            self.port = free_port(False)
            argv = [self.exe, '--db', self.db, 'serve', '--listen', '127.0.0.1:%d' % self.port,
                    '--threads', str(self.threads)]
            self.http_port = None
            if has_http:
                if self.want_http:
                    self.http_port = free_port(False)
                    argv += ['--http', '127.0.0.1:%d' % self.http_port]
                else:
                    argv += ['--http', 'none']
            argv += list(extra_args)
            self._spawn(argv)
            if wait_answering(self.addr, self.port, apex, deadline_s, self.proc):
                return self
            last = self.log_text()
            self.stop()
        raise RuntimeError('fodns serve did not come up on 127.0.0.1\n' + last)

    def start(self):
        return self.import_zones().serve()

    # --- state ------------------------------------------------------------
    def status(self):
        return json.loads(self.cli('status', '--json').stdout)

    def backend_status(self, name):
        for b in self.status()['backends']:
            if b['name'] == name:
                return b
        return None

    def events(self, limit=1000):
        return json.loads(self.cli('events', '--limit', str(limit), '--json').stdout)

    def soa_serial(self, zone='example.net.'):
        m = self.query(zone, 'SOA', timeout=1.0)
        if m is None or not m.answer:
            return None
        return int(m.answer[0].text.split()[2])

    def metrics(self):
        """/metrics as {(name, frozenset(labels)): value}, or None without HTTP."""
        if self.http_port is None:
            return None
        with urllib.request.urlopen('http://127.0.0.1:%d/metrics' % self.http_port,
                                    timeout=3) as r:
            text = r.read().decode()
        out = {}
        for line in text.splitlines():
            if not line or line.startswith('#'):
                continue
            head, _, value = line.rpartition(' ')
            name, labels = head, frozenset()
            if '{' in head:
                name, rest = head.split('{', 1)
                labels = frozenset(tuple(kv.split('=', 1)) for kv in
                                   rest.rstrip('}').replace('"', '').split(',') if kv)
            try:
                out[(name, labels)] = float(value)
            except ValueError:
                pass
        return out

    def metric(self, name, **labels):
        m = self.metrics()
        if m is None:
            return None
        return m.get((name, frozenset(labels.items())))

    # --- answers ----------------------------------------------------------
    def addrs(self, qname, qtype='A', tcp=False):
        """Set of A/AAAA addresses answered for qname, or None on no reply."""
        m = self.query(qname, qtype, tcp=tcp, timeout=1.0)
        if m is None:
            return None
        return {rr.text for rr in m.rrs('answer', qtype)}

    def srv_targets(self, qname):
        """(set of SRV targets in the answer, set of names with A in additional)."""
        m = self.query(qname, 'SRV', timeout=1.0)
        if m is None:
            return None
        targets = {rr.text.split()[3].lower() for rr in m.rrs('answer', 'SRV')}
        glue = {rr.name.lower() for rr in m.rrs('additional', 'A')}
        return targets, glue


def sip_options_request(addr, port, transport='udp', local=('127.0.0.1', 0)):
    branch = 'z9hG4bK%016x' % random.getrandbits(64)
    callid = '%016x@fodns-test' % random.getrandbits(64)
    proto = 'TCP' if transport == 'tcp' else 'UDP'
    msg = ('OPTIONS sip:%s:%d SIP/2.0\r\n'
           'Via: SIP/2.0/%s %s:%d;branch=%s;rport\r\n'
           'From: <sip:probe@fodns.test>;tag=%08x\r\n'
           'To: <sip:%s:%d>\r\n'
           'Call-ID: %s\r\n'
           'CSeq: 1 OPTIONS\r\n'
           'Max-Forwards: 70\r\n'
           'Content-Length: 0\r\n\r\n') % (addr, port, proto, local[0], local[1] or 5060, branch,
                                           random.getrandbits(32), addr, port, callid)
    return msg.encode(), callid


def sip_ping(addr, port=5060, transport='udp', timeout=0.5, extra_headers=''):
    """Send one OPTIONS; return the final status code, or None."""
    try:
        if transport == 'tcp':
            s = socket.create_connection((addr, port), timeout=timeout)
        else:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.settimeout(timeout)
            s.connect((addr, port))
        try:
            wire, callid = sip_options_request(addr, port, transport, s.getsockname())
            if extra_headers:
                wire = wire.replace(b'Content-Length: 0', extra_headers.encode() +
                                    b'\r\nContent-Length: 0')
            s.sendall(wire) if transport == 'tcp' else s.send(wire)
            data = b''
            end = time.monotonic() + timeout
            while time.monotonic() < end:
                chunk = s.recv(65535)
                if not chunk:
                    break
                data += chunk
                if b'\r\n\r\n' in data:
                    break
            first = data.split(b'\r\n', 1)[0].split()
            if len(first) >= 2 and first[0] == b'SIP/2.0' and callid.encode() in data:
                return int(first[1])
            return None
        finally:
            s.close()
    except (OSError, ValueError):
        return None


KAMAILIO_DIR = os.path.join(HERE, 'kamailio')


def kamailio_binary():
    for p in ('/usr/sbin/kamailio', shutil.which('kamailio') or ''):
        if p and os.path.exists(p):
            return p
    return None


class Kamailio:
    """One Kamailio in the foreground (-DD -E) in its own process group, with
    test/integration/kamailio/options.cfg: it listens on udp and tcp ADDR:PORT
    and answers OPTIONS with 200, or with 503 when started with mode='503'.
    kill() sends SIGKILL to the whole group (port unreachable at once)."""

    def __init__(self, addr, port=5060, tmp=None):
        self.addr, self.port = addr, port
        self.exe = kamailio_binary()
        self.tmp = tmp or tempfile.mkdtemp(prefix='fodns-e2e-kamailio-')
        self.proc = None
        self.log_path = os.path.join(self.tmp, 'kamailio-%s.log' % addr)
        self.starts = 0

    def start(self, mode='200', deadline_s=15.0):
        """Start and wait until it answers OPTIONS over UDP and TCP."""
        assert self.proc is None
        run = os.path.join(self.tmp, 'run-%s-%d' % (self.addr, self.starts))
        os.makedirs(run, exist_ok=True)
        self.starts += 1
        argv = [self.exe, '-DD', '-E', '-n', '1', '-m', '16', '-M', '4', '-Y', run,
                '-f', os.path.join(KAMAILIO_DIR, 'options.cfg'),
                '-A', 'LISTEN_UDP=udp:%s:%d' % (self.addr, self.port),
                '-A', 'LISTEN_TCP=tcp:%s:%d' % (self.addr, self.port)]
        if mode == '503':
            argv += ['-A', 'ANSWER_503']
        want = 503 if mode == '503' else 200
        end = time.monotonic() + deadline_s
        while True:
            self._log = open(self.log_path, 'ab')
            self.proc = subprocess.Popen(argv, stdout=self._log, stderr=self._log,
                                         stdin=subprocess.DEVNULL, cwd=self.tmp,
                                         start_new_session=True)
            ok, _ = wait_for(lambda: (self.proc.poll() is not None) or
                             (sip_ping(self.addr, self.port, 'udp') == want and
                              sip_ping(self.addr, self.port, 'tcp') == want),
                             timeout=max(1.0, min(8.0, end - time.monotonic())), interval=0.1)
            if ok and self.proc.poll() is None:
                return self
            self.kill()
            if time.monotonic() > end:  # e.g. the address is taken by someone else
                raise RuntimeError('kamailio on %s:%d did not come up\n%s' %
                                   (self.addr, self.port, self.log_text()))
            time.sleep(0.5)

    def set_answer(self, code):
        """Make the running instance answer later OPTIONS with `code`."""
        got, _ = wait_for(lambda: sip_ping(self.addr, self.port, 'udp',
                                           extra_headers='X-Fodns-Answer: %d' % code) == 200 and
                          sip_ping(self.addr, self.port, 'udp') == code, timeout=5, interval=0.1)
        if not got:
            raise RuntimeError('kamailio on %s did not switch to %d' % (self.addr, code))

    def kill(self, sig=signal.SIGKILL):
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)
        # The children share the group and got the same signal; a dead child
        # (zombie until PID 1 reaps it) holds no sockets any more.
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc = None
        self._log.close()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log_text(self):
        try:
            with open(self.log_path, errors='replace') as f:
                return f.read()[-4000:]
        except OSError:
            return ''

    def cleanup(self, keep=False):
        self.kill()
        if not keep:
            shutil.rmtree(self.tmp, ignore_errors=True)


# --------------------------------------------------------------------------
# A live backend for TCP probes (test_persist.py, tools/bench/changes.py)
# --------------------------------------------------------------------------
import threading  # noqa: E402


class TcpBackend:
    """A TCP listener on 127.0.0.1 that accepts and closes: alive for a `tcp`
    probe. close() makes it dead at once (connection refused); open() brings it
    back on the same port."""

    def __init__(self, port=0):
        self.port = port
        self.sock = None
        self.open()

    def open(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(('127.0.0.1', self.port))
        s.listen(128)
        self.port = s.getsockname()[1]
        self.sock = s
        threading.Thread(target=self._accept, args=(s,), daemon=True).start()

    def _accept(self, s):
        while True:
            try:
                s.accept()[0].close()
            except OSError:
                return

    def close(self):
        if self.sock is not None:
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.sock.close()
            self.sock = None
