"""Malformed queries sent to a running `fodns serve`.

Claims:
- Every packet of the corpus below, sent over UDP, gets either no reply or a
  FORMERR reply with the query's ID (QR set), never anything else:
  short headers (0, 1, 11 bytes), QDCOUNT=0, QDCOUNT=2, a label longer than
  63, a name longer than 255, compression pointers in the qname (to itself,
  forward, past the end), a pointer loop in the additional section, a
  truncated question, a truncated OPT, two OPTs, an OPT with a non-root
  owner, garbage after the header, counts larger than the message, and 200
  random packets (fixed seed; QR and opcode bits cleared so that only the
  parsing is exercised).
- A few of them over TCP get FORMERR or a closed connection, likewise.
- Afterwards the server still answers a normal query correctly over UDP and
  TCP, and its process is alive.

`python3 test_malformed.py --write-corpus DIR` writes the corpus as files
(for test/fuzz/corpus/query/, which the fuzz target owns).
"""

import os
import random
import select
import socket
import struct
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fodns_harness as h  # noqa: E402

RT = 'rules.test.'
QT_A = struct.pack('!HH', 1, 1)


def hdr(qid, qd=1, an=0, ns=0, ar=0, flags=0):
    return h.header(qid, flags, qd, an, ns, ar)


def corpus():
    """[(name, wire)]. IDs are distinct so replies can be matched."""
    c = []
    qn = h.encode_name('sip.' + RT)

    def add(name, wire):
        c.append((name, wire))

    add('empty', b'')
    add('short_1', b'\x12')
    add('short_11', hdr(0x0b0b)[:11])
    add('qdcount_0', hdr(0x1000, qd=0))
    add('qdcount_0_with_question', hdr(0x1001, qd=0) + qn + QT_A)
    add('qdcount_2', hdr(0x1002, qd=2) + qn + QT_A + h.encode_name(RT) + QT_A)
    add('qdcount_2_one_question', hdr(0x1003, qd=2) + qn + QT_A)
    add('label_64', hdr(0x1004) + b'\x40' + b'a' * 64 + h.encode_name(RT) + QT_A)
    add('label_type_01', hdr(0x1005) + b'\x41' + b'a' * 65 + b'\x00' + QT_A)
    long_name = (b'\x3f' + b'a' * 63) * 4 + b'\x05rules\x04test\x00'  # 268 bytes
    add('name_over_255', hdr(0x1006) + long_name + QT_A)
    add('qname_pointer_self', hdr(0x1007) + b'\xc0\x0c' + QT_A)
    add('qname_pointer_past_end', hdr(0x1008) + b'\x03sip\xc3\xff' + QT_A)
    fwd = hdr(0x1009, ar=0) + b'\x03sip\xc0\x14' + QT_A  # points into its own qtype bytes
    add('qname_pointer_forward', fwd)
    add('qname_pointer_loop_2', hdr(0x100a) + b'\xc0\x0e\xc0\x0c' + QT_A)
    loop_rr = b'\xc0\x00' + struct.pack('!HHIH', 1, 1, 0, 0)
    q = hdr(0x100b, ar=1) + qn + QT_A
    # additional RR whose owner points at itself
    add('additional_pointer_loop', q + struct.pack('!H', 0xC000 | len(q)) + struct.pack('!HHIH', 1, 1, 0, 0))
    add('additional_pointer_to_header', hdr(0x100c, ar=1) + qn + QT_A + loop_rr)
    add('question_truncated_type', hdr(0x100d) + qn + b'\x00')
    add('question_truncated_name', hdr(0x100e) + b'\x03sip\x05rul')
    add('question_missing', hdr(0x100f))
    opt = h.opt_rr()
    base = hdr(0x1010, ar=1) + qn + QT_A
    add('opt_truncated_header', base + opt[:5])
    add('opt_truncated_rdata', hdr(0x1011, ar=1) + qn + QT_A + b'\x00' + struct.pack('!HHIH', 41, 1232, 0, 8) + b'\x00\x0a')
    # OPT rdata of 4 bytes holding an option that claims 40 bytes of data
    add('opt_option_overruns', hdr(0x1012, ar=1) + qn + QT_A + b'\x00' +
        struct.pack('!HHIH', 41, 1232, 0, 4) + struct.pack('!HH', 65001, 40))
    add('two_opts', hdr(0x1013, ar=2) + qn + QT_A + opt + opt)
    add('opt_nonroot_owner', hdr(0x1014, ar=1) + qn + QT_A + h.opt_rr(owner=h.encode_name('rules.test.')))
    add('garbage_after_header', hdr(0x1015) + b'\xff\xfe\xfd\xfc\xfb\xfa\x99\x98')
    add('ancount_past_end', hdr(0x1016, an=5) + qn + QT_A)
    add('arcount_past_end', hdr(0x1017, ar=3) + qn + QT_A + opt)
    add('nscount_garbage', hdr(0x1018, ns=1) + qn + QT_A + b'\x07')

    rnd = random.Random(20261128)
    for i in range(200):
        n = rnd.choice([2, 5, 12, 13, 17, 20, 30, 64, 100, 300, 511, 1000])
        b = bytearray(rnd.getrandbits(8) for _ in range(n))
        if n >= 3:
            b[2] &= 0x07  # QR=0, opcode=0: exercise the parser, not the opcode check
        if n >= 2:
            b[0], b[1] = 0x20 | (i >> 8), i & 0xff
        add('random_%03d' % i, bytes(b))
    return c


def udp_many(addr, port, wires, wait=1.0):
    """Send each packet from its own socket, then collect the replies for
    `wait` seconds; returns one reply (or None) per packet."""
    socks = []
    try:
        for w in wires:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setblocking(False)
            socks.append(s)
            s.sendto(w, (addr, port))
        replies = [None] * len(wires)
        end = time.time() + wait
        pending = {s.fileno(): i for i, s in enumerate(socks)}
        while pending and time.time() < end:
            ready, _, _ = select.select([socks[i] for i in pending.values()], [], [], max(0, end - time.time()))
            for s in ready:
                i = pending.pop(s.fileno())
                replies[i] = s.recv(65535)
        return replies
    finally:
        for s in socks:
            s.close()


def check_reply(testcase, name, wire, reply):
    """None is fine; else FORMERR with the query's ID."""
    if reply is None:
        return None
    if len(reply) < 12:
        return '%s: reply shorter than a header: %r' % (name, reply)
    rid, flags = struct.unpack('!HH', reply[:4])
    qid = struct.unpack('!H', wire[:2])[0] if len(wire) >= 2 else None
    rcode = flags & 0xf
    try:
        m = h.Message(reply)
        rcode = m.rcode
        desc = str(m)
    except h.ParseError as e:
        desc = 'unparsable reply (%s): %s' % (e, reply.hex())
    problems = []
    if rid != qid:
        problems.append('ID %r != query ID %r' % (rid, qid))
    if not flags & 0x8000:
        problems.append('QR not set')
    if rcode != h.FORMERR:
        problems.append('RCODE %s, want FORMERR or no reply' % h.rcode_name(rcode))
    if problems:
        return '%s (%s): %s\n%s' % (name, wire.hex(), '; '.join(problems), desc)
    return None


class Malformed(unittest.TestCase):
    server = None

    @classmethod
    def setUpClass(cls):
        cls.server = h.Knot() if os.environ.get('FODNS_E2E_SELFTEST') else h.Fodns()
        try:
            cls.server.start()
        except Exception:
            cls.server.cleanup(failed=True)
            raise
        cls.failed = False

    @classmethod
    def tearDownClass(cls):
        if cls.server:
            cls.server.cleanup(failed=cls.failed)

    def setUp(self):
        type(self).failed = True  # cleared at the end of each passing test

    def assertStillServing(self):
        self.assertTrue(self.server.alive(), 'server process died')
        for tcp in (False, True):
            m = self.server.query('sip.' + RT, 'A', tcp=tcp, timeout=2.0)
            self.assertIsNotNone(m, 'no answer to a normal query after the corpus (tcp=%s)' % tcp)
            self.assertEqual(h.rcode_name(m.rcode), 'NOERROR')
            self.assertTrue(m.aa)
            self.assertEqual(sorted(rr.text for rr in m.answer), ['192.0.2.11', '192.0.2.12'])

    def test_udp_corpus(self):
        items = corpus()
        self.assertGreaterEqual(len(items), 220)
        problems = []
        replied = 0
        for batch in range(0, len(items), 50):
            chunk = items[batch:batch + 50]
            replies = udp_many(self.server.addr, self.server.port, [w for _, w in chunk])
            for (name, wire), reply in zip(chunk, replies):
                replied += reply is not None
                p = check_reply(self, name, wire, reply)
                if p:
                    problems.append(p)
        self.assertFalse(problems, '\n%d of %d malformed packets got a wrong reply:\n%s' % (
            len(problems), len(items), '\n\n'.join(problems)))
        self.assertStillServing()
        type(self).failed = False

    def test_tcp_some(self):
        wanted = {'qdcount_0', 'qdcount_2', 'label_64', 'name_over_255', 'qname_pointer_self',
                  'additional_pointer_loop', 'two_opts', 'opt_nonroot_owner', 'question_truncated_type',
                  'random_007', 'random_042'}
        problems = []
        for name, wire in corpus():
            if name not in wanted:
                continue
            try:
                reply = self.server.raw_tcp(wire, timeout=3.0)
            except (ConnectionResetError, BrokenPipeError, socket.timeout):
                reply = None
            p = check_reply(self, name, wire, reply)
            if p:
                problems.append('tcp ' + p)
        self.assertFalse(problems, '\n'.join(problems))
        # a length prefix announcing more than is sent, then close: no crash
        s = h.tcp_connect(self.server.addr, self.server.port)
        s.sendall(b'\x01\x00' + b'\x00' * 20)
        s.close()
        # a zero-length message
        s = h.tcp_connect(self.server.addr, self.server.port)
        try:
            s.sendall(b'\x00\x00')
            s.settimeout(2.0)
            try:
                data = s.recv(2)
            except (socket.timeout, ConnectionResetError):
                data = b''
            self.assertEqual(data, b'', 'reply to an empty TCP message')
        finally:
            s.close()
        self.assertStillServing()
        type(self).failed = False


def write_corpus(directory):
    for name, wire in corpus():
        with open(os.path.join(directory, 'e2e_malformed_' + name), 'wb') as f:
            f.write(wire)


if __name__ == '__main__':
    if len(sys.argv) == 3 and sys.argv[1] == '--write-corpus':
        write_corpus(sys.argv[2])
        sys.exit(0)
    unittest.main(verbosity=2)
