"""End-to-end tests of response rate limiting and DNS cookies (issue 13 items 1-2).

fodns serves zones/example.net.zone on 127.0.0.1 (random port, 2 threads) with
`--rrl-rate 50 --rrl-slip 2 --rrl-exempt none` and HTTP on 127.0.0.1. Claims:

- Reflection: a burst of 4,000 NAPTR queries for the apex from 127.0.0.2 (one
  spoofable source, one port) gets at most rate x seconds + the burst (one
  second's worth) as full replies; the limited ones are slipped as TC=1 replies
  with no records at 1 in 2 (fodns_rrl_slipped_total / fodns_rrl_limited_total
  = 1/2, and every slipped reply arrives with TC=1 and no answer); the bytes
  sent back beyond the full replies are at most the bytes of the queries.
- A client in the same /24 (127.0.0.3) that learned its server cookie first
  (RFC 7873 client cookie -> RFC 9018 server cookie) gets >= 95% full answers
  during the same flood; its queries count as fodns_dns_cookies_total{result="valid"}.
- One log line says the prefix 127.0.0.0/24 started being limited.
- `fodns cookie rotate` on the running server: within ~1 s new cookies are made
  with the new secret, and the cookie learned before still passes while the
  prefix is limited (old and new both accepted); after a second rotation it is
  refused as a cookie (answered, with a fresh cookie, but limited again).
- A malformed COOKIE option (9 bytes) gets FORMERR.
- Interoperability: `dig +cookie` (BIND's client) sees our server cookie as good, and
  `kdig +cookie` gets a 24-byte COOKIE back (each skipped when not installed).
- With the default exemption (loopback), the same flood is answered in full.
"""

import os
import random
import re
import socket
import struct
import sys
import threading
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fodns_harness as h  # noqa: E402

EN = 'example.net.'
RATE = 50
FLOOD = 4000


def metrics(port):
    body = urllib.request.urlopen('http://127.0.0.1:%d/metrics' % port, timeout=5).read().decode()
    out = {}
    for line in body.splitlines():
        if line.startswith('#') or not line:
            continue
        head, _, value = line.rpartition(' ')
        out[head] = float(value)
    return out


def cookie_query(client, server=b'', qid=None, qtype='NAPTR'):
    return h.make_query(EN, qtype, qid=qid, edns=True, options=[(10, client + server)])


def cookie_of(wire):
    """The COOKIE option data of a reply (client + server cookie), or None. fodns puts it
    last: the only option of the OPT that ends the message."""
    h.Message(wire)  # well-formed
    if len(wire) >= 28 and struct.unpack('!HH', wire[-28:-24]) == (10, 24):
        return wire[-24:]
    return None


class Flood:
    """Sends FLOOD queries from `source` as fast as it can; collects every reply."""

    def __init__(self, port, source):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self.s.bind((source, 0))
        self.s.settimeout(0.5)
        self.port = port
        self.replies = []
        self.sent_bytes = 0
        self.done = False

    def _recv(self):
        while True:
            try:
                data = self.s.recv(65535)
            except socket.timeout:
                if self.done:
                    return
                continue
            self.replies.append((time.monotonic(), data))

    def run(self):
        rx = threading.Thread(target=self._recv)
        rx.start()
        q = h.make_query(EN, 'NAPTR', qid=1)
        self.start = time.monotonic()
        for i in range(FLOOD):
            wire = struct.pack('!H', i & 0xffff) + q[2:]
            self.s.sendto(wire, ('127.0.0.1', self.port))
            self.sent_bytes += len(wire)
            if i % 200 == 199:
                time.sleep(0.005)  # keeps the server's socket buffer from overflowing
        self.end = time.monotonic()
        time.sleep(0.5)
        self.done = True
        rx.join()
        self.s.close()


class RrlTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        exe = h.fodns_binary()
        if not h.fodns_serve_has_option(exe, '--rrl-rate'):
            raise unittest.SkipTest('fodns serve has no --rrl-rate option')
        cls.http = h.free_port(False)
        cls.f = h.Fodns(zones=[(EN, os.path.join(h.ZONES, 'example.net.zone'))], threads=2,
                        serve_args=['--http', '127.0.0.1:%d' % cls.http, '--rrl-rate', str(RATE),
                                    '--rrl-slip', '2', '--rrl-exempt', 'none'])
        cls.failed = False
        try:
            cls.f.start()
        except Exception:
            cls.f.cleanup(failed=True)
            raise

    @classmethod
    def tearDownClass(cls):
        cls.f.cleanup(failed=cls.failed)

    def run(self, result=None):
        result = super().run(result)
        if result is not None and (result.failures or result.errors):
            type(self).failed = True
        return result

    def ask(self, wire, source):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.bind((source, 0))
            s.settimeout(1.0)
            s.sendto(wire, ('127.0.0.1', self.f.port))
            return s.recv(65535)
        except socket.timeout:
            return None
        finally:
            s.close()

    def learn_cookie(self, source, client):
        # SOA: another key than the NAPTR floods, so never rate-limited here.
        reply = self.ask(cookie_query(client, qtype='SOA'), source)
        self.assertIsNotNone(reply)
        c = cookie_of(reply)
        self.assertIsNotNone(c, 'no COOKIE option in the reply')
        self.assertEqual(c[:8], client)
        self.assertEqual(len(c), 24)
        return c[8:]

    def wait_quiet(self):
        time.sleep(1.2)  # buckets refill in one second

    def test_1_flood_is_limited_and_cookie_client_passes(self):
        client = os.urandom(8)
        server = self.learn_cookie('127.0.0.3', client)
        self.wait_quiet()
        before = metrics(self.http)
        flood = Flood(self.f.port, '127.0.0.2')
        results = []

        def cookie_client():
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.bind(('127.0.0.3', 0))
            s.settimeout(1.0)
            for i in range(200):
                s.sendto(cookie_query(client, server, qid=i), ('127.0.0.1', self.f.port))
                try:
                    m = h.Message(s.recv(65535))
                    results.append(bool(m.answer) and not m.tc and m.rcode == h.NOERROR)
                except socket.timeout:
                    results.append(False)
                time.sleep(0.001)
            s.close()

        c = threading.Thread(target=cookie_client)
        c.start()
        flood.run()
        c.join()
        after = metrics(self.http)

        full = [d for _, d in flood.replies if not h.Message(d).tc]
        tc = [d for _, d in flood.replies if h.Message(d).tc]
        # The server answered within [first send, last reply]: its buckets refilled for no longer.
        secs = max(t for t, _ in flood.replies) - flood.start
        limit = RATE * secs + RATE + 1  # + 1: the server counts in whole milliseconds
        print('flood: %d queries in %.2f s -> %d full, %d TC; allowed full <= %.0f' %
              (FLOOD, secs, len(full), len(tc), limit))
        self.assertGreater(len(full), 0)
        self.assertLessEqual(len(full), limit)
        for d in full:
            self.assertTrue(h.Message(d).answer)
        for d in tc:
            m = h.Message(d)
            self.assertEqual(m.counts[1:], (0, 0, 0))
        limited = after['fodns_rrl_limited_total{class="positive"}'] - \
            before['fodns_rrl_limited_total{class="positive"}']
        slipped = after['fodns_rrl_slipped_total{class="positive"}'] - \
            before['fodns_rrl_slipped_total{class="positive"}']
        print('metrics: limited %d slipped %d' % (limited, slipped))
        self.assertGreater(limited, FLOOD / 2)
        self.assertAlmostEqual(slipped / limited, 0.5, delta=0.01)
        self.assertEqual(len(tc), slipped)
        # Amplification: beyond the full replies the rate allows, no more bytes than sent.
        self.assertLessEqual(sum(len(d) for d in tc), flood.sent_bytes)
        ok = sum(results)
        print('cookie client: %d of %d full answers during the flood' % (ok, len(results)))
        self.assertGreaterEqual(ok, 0.95 * len(results))
        valid = after['fodns_dns_cookies_total{result="valid"}'] - \
            before['fodns_dns_cookies_total{result="valid"}']
        self.assertGreaterEqual(valid, ok)
        ok_log, _ = h.wait_for(lambda: re.search(
            r'msg="rate limiting a client prefix" prefix=127\.0\.0\.0/24', self.f.log_text()), 3)
        self.assertTrue(ok_log, 'no log line for the limited prefix')
        self.assertEqual(len(re.findall(r'msg="rate limiting a client prefix" prefix=127\.0\.0\.0/24',
                                        self.f.log_text())), 1)

    def full_while_limited(self, wire, n=15):
        """From one socket on 127.0.0.3 (one source port: one worker, whose table counts it),
        keeps the budget of 127.0.0.0/24 for NAPTR example.net exhausted (a burst, then 20
        plain queries before each probe) and probes with `wire` n times, then with the plain
        query n times; returns (full answers to `wire`, full answers to the plain query).
        A probe dropped by the limiter is waited for 0.15 s: 7.5 tokens of refill at most,
        which the next 20 plain queries use up."""
        plain = h.make_query(EN, 'NAPTR', qid=1)
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        s.bind(('127.0.0.3', 0))
        s.settimeout(0.15)
        dest = ('127.0.0.1', self.f.port)
        try:
            for _ in range(2 * RATE):
                s.sendto(plain, dest)

            def full_answers(w, base):
                got = 0
                for i in range(n):
                    for _ in range(20):
                        s.sendto(plain, dest)
                    qid = base + i
                    s.sendto(struct.pack('!H', qid) + w[2:], dest)
                    try:
                        while True:  # skip the burn queries' replies
                            m = h.Message(s.recv(65535))
                            if m.id == qid:
                                got += int(not m.tc and bool(m.answer))
                                break
                    except socket.timeout:
                        pass
                return got
            return full_answers(wire, 7000), full_answers(plain, 8000)
        finally:
            s.close()

    def test_2_rotation_keeps_the_previous_secret(self):
        client = os.urandom(8)
        old = self.learn_cookie('127.0.0.3', client)
        self.f.cli('cookie', 'rotate')
        time.sleep(1.5)  # the server polls the database every second
        self.wait_quiet()
        before = metrics(self.http)
        with_cookie, without = self.full_while_limited(cookie_query(client, old))
        self.assertEqual(with_cookie, 15)  # the previous secret still verifies
        self.assertLessEqual(without, 3)   # while the prefix is limited
        after = metrics(self.http)
        self.assertGreaterEqual(after['fodns_dns_cookies_total{result="valid"}'] -
                                before['fodns_dns_cookies_total{result="valid"}'], 15)
        # A cookie made now is made with the new secret: it differs from the old one
        # even within the same second, and it verifies too.
        new = self.learn_cookie('127.0.0.3', client)
        self.assertNotEqual(new[8:], old[8:])
        self.f.cli('cookie', 'rotate')
        time.sleep(1.5)
        self.wait_quiet()
        before = metrics(self.http)
        reply = self.ask(cookie_query(client, old), '127.0.0.3')
        self.assertIsNotNone(reply)
        self.assertTrue(h.Message(reply).answer)  # answered normally (RFC 7873 §5.2.4)
        self.assertEqual(cookie_of(reply)[:8], client)
        self.assertNotEqual(cookie_of(reply)[8:], old)
        after = metrics(self.http)
        self.assertEqual(after['fodns_dns_cookies_total{result="invalid"}'] -
                         before['fodns_dns_cookies_total{result="invalid"}'], 1)
        with_cookie, _ = self.full_while_limited(cookie_query(client, old))
        self.assertLessEqual(with_cookie, 3)  # two rotations later it no longer exempts
        show = self.f.cli('cookie', 'show').stdout
        self.assertIn('current', show)
        self.assertIn('previous', show)

    def test_3_malformed_cookie_is_formerr(self):
        wire = h.make_query(EN, 'SOA', edns=True, options=[(10, os.urandom(9))])
        reply = self.ask(wire, '127.0.0.5')
        self.assertIsNotNone(reply)
        self.assertEqual(h.Message(reply).rcode, h.FORMERR)


    def test_4_dig_and_kdig_see_a_good_cookie(self):
        import shutil
        import subprocess
        ran = False
        if shutil.which('dig'):
            out = subprocess.run(['dig', '@127.0.0.1', '-p', str(self.f.port), '+cookie',
                                  '+norec', EN, 'SOA'], capture_output=True, text=True,
                                 timeout=10).stdout
            self.assertRegex(out, r'COOKIE: [0-9a-f]{48} \(good\)', out)
            ran = True
        if shutil.which('kdig'):
            out = subprocess.run(['kdig', '@127.0.0.1', '-p', str(self.f.port), '+cookie',
                                  EN, 'SOA'], capture_output=True, text=True, timeout=10).stdout
            self.assertRegex(out, r'COOKIE: [0-9a-fA-F]{48}\b', out)
            ran = True
        if not ran:
            self.skipTest('neither dig nor kdig installed')


class LoopbackExemptTest(unittest.TestCase):
    def test_loopback_is_exempt_by_default(self):
        f = h.Fodns(zones=[(EN, os.path.join(h.ZONES, 'example.net.zone'))], threads=1,
                    serve_args=['--http', 'none', '--rrl-rate', '5'])
        failed = True
        try:
            f.start()
            flood = Flood(f.port, '127.0.0.2')
            global FLOOD
            saved, FLOOD = FLOOD, 500
            try:
                flood.run()
            finally:
                FLOOD = saved
            full = [d for _, d in flood.replies if not h.Message(d).tc]
            self.assertEqual(len(full), 500)
            failed = False
        finally:
            f.cleanup(failed=failed)


if __name__ == '__main__':
    unittest.main(verbosity=2)
