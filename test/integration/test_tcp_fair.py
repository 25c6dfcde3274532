"""End-to-end: TCP slots are shared fairly (issue 13, fair TCP).

fodns serves the fixture zones on 127.0.0.1 with few TCP slots, so that the
attack below fills them; an attacker on 127.0.0.2 holds connections open by
sending one byte every 0.5 s on each (a single byte never completes a message)
and reconnects whatever is closed. Claims:

1. Goal: 300 trickling connections from 127.0.0.2 (2 threads x 128 slots,
   default --max-tcp-per-address 32) leave >= 9 of 10 TCP queries from
   127.0.0.3 answered within 3 s each. The attacker's extra connections are
   counted in fodns_dns_tcp_refused_total{reason="per_address"} and logged
   (rate-limited: a handful of lines, not one per refusal).
2. With no per-address limit (--max-tcp-per-address 0) and 1 thread x 40
   slots, the same attack still leaves >= 9 of 10 queries from 127.0.0.3
   answered: a full worker closes its longest-idle connection (a trickler,
   whose bytes are not activity) to make room, counted in
   fodns_dns_tcp_evicted_total.
3. A trickle does not reset the I/O timeout: a connection sending one byte
   every 0.3 s is closed within --tcp-io-timeout (1 s here) + slack, well
   before --tcp-idle-timeout (10 s); counted in fodns_dns_tcp_io_timeout_total.
4. The limits refuse bad values with a clear error (exit 1).
"""

import os
import re
import socket
import struct
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fodns_harness as h  # noqa: E402

EN = 'example.net.'
ATTACKER = '127.0.0.2'
CLIENT = '127.0.0.3'


class Trickler:
    """Holds `n` TCP connections from `source`, one byte on each every `every` s."""

    def __init__(self, port, n, source=ATTACKER, every=0.5):
        self.port, self.n, self.source, self.every = port, n, source, every
        self.socks = []
        self.stop_flag = threading.Event()
        self.connects = 0
        self.thread = threading.Thread(target=self.run, daemon=True)

    def connect(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((self.source, 0))
        s.settimeout(0.5)
        try:
            s.connect(('127.0.0.1', self.port))
        except OSError:
            s.close()
            return None
        s.setblocking(False)
        self.connects += 1
        return s

    def run(self):
        while not self.stop_flag.is_set():
            while len(self.socks) < self.n and not self.stop_flag.is_set():
                s = self.connect()
                if s is None:
                    break
                self.socks.append(s)
            alive = []
            for s in self.socks:
                try:
                    s.send(b'\x00')  # the first byte of a length prefix, never more
                    alive.append(s)
                except OSError:
                    s.close()
            self.socks = alive
            self.stop_flag.wait(self.every)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.stop_flag.set()
        self.thread.join(10)
        for s in self.socks:
            s.close()


def client_queries(port, n=10, timeout=3.0):
    """n TCP SOA queries from CLIENT, each on a new connection; how many were answered in time."""
    ok = 0
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind((CLIENT, 0))
        s.settimeout(timeout)
        start = time.monotonic()
        try:
            s.connect(('127.0.0.1', port))
            h.tcp_send(s, h.make_query(EN, 'SOA'))
            reply = h.tcp_recv(s)
            if reply is not None and h.Message(reply).answer and time.monotonic() - start <= timeout:
                ok += 1
        except OSError:
            pass
        finally:
            s.close()
    return ok


class FairTcp(unittest.TestCase):
    def server(self, *args, threads=2):
        f = h.FailoverFodns(threads=threads)
        self.passed = False
        self.addCleanup(lambda: f.cleanup(failed=not self.passed))
        f.import_zones().serve(extra_args=args)
        return f

    def attack_and_measure(self, f, conns):
        t = Trickler(f.port, conns).start()
        self.addCleanup(t.stop)
        # Let the attacker fill what it can (and be refused for the rest).
        time.sleep(2.5)
        ok = client_queries(f.port)
        return t, ok

    def test_1_per_address_limit_goal(self):
        f = self.server('--max-tcp-connections', '128')
        t, ok = self.attack_and_measure(f, 300)
        refused = f.metric('fodns_dns_tcp_refused_total', reason='per_address')
        sys.stderr.write('\nper-address limit: %d/10 answered within 3 s; attacker connects %d, '
                         'refused per_address %s\n' % (ok, t.connects, refused))
        self.assertGreaterEqual(ok, 9, 'only %d of 10 TCP queries answered within 3 s' % ok)
        self.assertIsNotNone(refused)
        self.assertGreaterEqual(refused, 300 - 32, 'per-address refusals: %s' % refused)
        t.stop()
        with open(f.stderr_path) as log:
            logged = len(re.findall(r'msg="tcp connections refused"', log.read()))
        self.assertGreaterEqual(logged, 1)
        self.assertLessEqual(logged, 2 * 2, 'refusals are logged rate-limited, got %d lines' % logged)
        self.passed = True

    def test_2_full_worker_closes_longest_idle(self):
        f = self.server('--max-tcp-connections', '40', '--max-tcp-per-address', '0', threads=1)
        t, ok = self.attack_and_measure(f, 300)
        evicted = f.metric('fodns_dns_tcp_evicted_total') or 0
        sys.stderr.write('\nno per-address limit, 40 slots: %d/10 answered within 3 s; attacker '
                         'connects %d, evicted %s, idle-closed %s\n'
                         % (ok, t.connects, evicted, f.metric('fodns_dns_tcp_idle_closed_total')))
        self.assertGreaterEqual(ok, 9, 'only %d of 10 TCP queries answered within 3 s' % ok)
        self.assertGreaterEqual(evicted, 1)
        self.assertLessEqual(f.metric('fodns_dns_tcp_connections') or 0, 40)
        self.passed = True

    def test_3_trickle_does_not_reset_io_timeout(self):
        f = self.server('--tcp-io-timeout', '1000', '--tcp-idle-timeout', '10000')
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.connect(('127.0.0.1', f.port))
        start = time.monotonic()
        closed_after = None
        msg = struct.pack('!H', 40) + b'\x00' * 40
        for b in msg:
            try:
                s.send(bytes([b]))
                s.settimeout(0.3)
                if s.recv(1) == b'':
                    closed_after = time.monotonic() - start
                    break
            except socket.timeout:
                continue
            except OSError:
                closed_after = time.monotonic() - start
                break
        s.close()
        self.assertIsNotNone(closed_after, 'a trickling connection stayed open for the whole message')
        self.assertLess(closed_after, 3.0)
        self.assertGreaterEqual(f.metric('fodns_dns_tcp_io_timeout_total') or 0, 1)
        self.passed = True

    def test_4_bad_values_refused(self):
        exe = h.fodns_binary()
        for opt, val in (('--max-tcp-per-address', '-1'), ('--max-tcp-per-address', 'x'),
                         ('--tcp-io-timeout', '50'), ('--tcp-io-timeout', '60001')):
            cp = h.subprocess.run([exe, '--db', '/nonexistent/x.db', 'serve', opt, val],
                                  capture_output=True, text=True, timeout=20)
            self.assertEqual(cp.returncode, 1, (opt, val, cp.stderr))
            self.assertIn(opt, cp.stderr)


if __name__ == '__main__':
    unittest.main(verbosity=2)
