"""Observers for the e2e tests of transfers: a NOTIFY counter that answers
like a secondary (signed when the NOTIFY was), and a transparent tap between
a secondary and its primary that records what was asked and how it was
answered (NSD's release build does not log IXFR vs AXFR).
"""

import hmac
import os
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fodns_harness as h  # noqa: E402
from xfr_client import (  # noqa: E402
    TSIG_TYPE, Tsig, _mac, _variables, _xfr_done, rcode_name, sign)

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
            # A request MAC covers no prior MAC: verify it directly.
            data_to_sign = t.unsigned + _variables(t.key_name, t.algorithm, t.time_signed,
                                                   t.fudge, t.error, t.other)
            rec['tsig_ok'] = hmac.compare_digest(_mac(self.key, data_to_sign), t.mac)
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
