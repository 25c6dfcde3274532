"""A stdlib DNS zone-transfer client for the e2e tests: TSIG (RFC 8945,
hmac-sha256/sha512/sha1) signing and verification, including the
multi-message form of zone transfers (§5.3.1), AXFR/IXFR over TCP that
reports RCODE, TSIG error and the shape of the answer, signed queries, and
dig/kdig wrappers. Used by secondaries.py and test_secondaries.py.
"""

import base64
import hashlib
import hmac
import os
import shutil
import socket
import struct
import subprocess
import sys
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
