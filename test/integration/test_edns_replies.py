"""End-to-end: EDNS in the replies that are not ordinary answers (issue 14).

fodns serves a zone whose SOA names are long (the SOA record is 530 bytes on
the wire) and allows transfers to 127.0.0.1. Claims:

- A UDP IXFR from a client that is current, sent with EDNS (payload 1232),
  gets the SOA alone (RFC 1995 §4) and an OPT, although the reply is over 512
  bytes; it was dropped when UDP IXFR replies were capped at 512.
- The same query without EDNS gets a TC reply (header and question), so the
  client retries over TCP, never silence.
- A FORMERR to a query whose OPT parsed (trailing garbage after it) carries
  an OPT (RFC 6891 §7); so does a NOTIMP to an unknown opcode.
"""

import os
import struct
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fodns_harness as h  # noqa: E402

ZONE = 'long-soa.example.'
LABEL = 'n' * 60
MNAME = '.'.join([LABEL] * 4) + '.'
RNAME = '.'.join(['h' * 60] * 4) + '.'
SERIAL = 2026120501


def zone_text():
    return ('$ORIGIN %s\n$TTL 300\n@ IN SOA %s %s %d 3600 600 86400 60\n'
            '@ IN NS ns1\nns1 IN A 192.0.2.1\n' % (ZONE, MNAME, RNAME, SERIAL))


def ixfr_query(edns, serial=SERIAL):
    """IXFR for ZONE from `serial` (the current one): authority SOA, then OPT if asked."""
    rdata = h.encode_name('.') + h.encode_name('.') + struct.pack('!IIIII', serial, 0, 0, 0, 0)
    soa = h.encode_name(ZONE) + struct.pack('!HHIH', 6, 1, 0, len(rdata)) + rdata
    msg = h.header(0x5151, 0, 1, 0, 1, 1 if edns else 0)
    msg += h.encode_name(ZONE) + struct.pack('!HH', 251, 1) + soa
    if edns:
        msg += h.opt_rr(payload=1232)
    return msg


class EdnsReplies(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix='fodns-edns-')
        path = os.path.join(cls.tmp, 'long-soa.zone')
        with open(path, 'w') as f:
            f.write(zone_text())
        # The fixture zone first: the harness waits for its SOA (ours needs EDNS over UDP).
        cls.f = h.Fodns(zones=h.FIXTURE_ZONES[:1] + [(ZONE, path)], threads=1)
        cls.f.start()
        cls.f.cli('zone', 'set', ZONE, '--allow-transfer', '127.0.0.1/32')
        # The server notices the change on its own (data_version polling).
        end = time.time() + 10
        while time.time() < end:
            m = h.Message(cls.f.raw_tcp(ixfr_query(False)))
            if m.rcode == h.NOERROR:
                break
            time.sleep(0.1)
        # The serial served now: allowing transfers may move it on (a zone re-read under a
        # serial already served gets a new one, so secondaries never see two contents under one).
        soa = cls.f.query(ZONE, 'SOA', tcp=True).rrs('answer', 'SOA')[0]
        cls.serial = int(soa.text.split()[-5])

    @classmethod
    def tearDownClass(cls):
        cls.f.cleanup(failed=not getattr(cls, 'passed', True))

    def setUp(self):
        type(self).passed = False

    def tearDown(self):
        type(self).passed = True

    def test_udp_ixfr_uses_edns_size(self):
        reply = self.f.raw_udp(ixfr_query(True, self.serial), timeout=2.0)
        self.assertIsNotNone(reply, 'no reply to a UDP IXFR with EDNS 1232 (capped at 512?)')
        self.assertGreater(len(reply), 512)
        m = h.Message(reply)
        self.assertEqual(m.rcode, h.NOERROR, str(m))
        self.assertFalse(m.tc, str(m))
        self.assertIsNotNone(m.opt, 'an EDNS query gets an OPT back (RFC 6891 §7): ' + str(m))
        soas = m.rrs('answer', 'SOA')
        self.assertEqual(len(soas), 1, str(m))
        self.assertIn(str(self.serial), soas[0].text)

    def test_udp_ixfr_without_edns_is_truncated(self):
        reply = self.f.raw_udp(ixfr_query(False, self.serial), timeout=2.0)
        self.assertIsNotNone(reply, 'no reply: the client would wait instead of using TCP')
        self.assertLessEqual(len(reply), 512)
        m = h.Message(reply)
        self.assertTrue(m.tc, str(m))
        self.assertEqual(m.answer, [])

    def test_formerr_and_notimp_carry_opt(self):
        bad = h.make_query(ZONE, 'SOA', edns=True, qid=0x7777) + b'\xff'
        reply = self.f.raw_udp(bad)
        self.assertIsNotNone(reply)
        m = h.Message(reply)
        self.assertEqual(m.rcode, h.FORMERR, str(m))
        self.assertIsNotNone(m.opt, str(m))
        notimp = h.make_query(ZONE, 'SOA', edns=True, opcode=3)
        m = h.Message(self.f.raw_udp(notimp))
        self.assertEqual(m.rcode, h.NOTIMP, str(m))
        self.assertIsNotNone(m.opt, str(m))


if __name__ == '__main__':
    unittest.main(verbosity=2)
