"""End-to-end: /healthz stays reachable while the HTTP connections are flooded (issue 13).

fodns serves HTTP on 127.0.0.1 with its default bounds (128 connections, 16
per address). An attacker on 20 addresses (127.0.2.1-20) opens 10
connections each (200, beyond the 128) that send half a request and then one
byte every 0.5 s, so that libmicrohttpd's inactivity timeout never fires, and
reopens whatever is closed; 20 more on 127.0.3.1 ask /metrics and never read.
Claims:

- During the flood, 10 of 10 GET /healthz from 127.0.0.1 answer 200 "ok"
  within 2 s each (before: the global limit refused them for as long as the
  flood lasted).
- The connections closed to make room are counted in
  fodns_http_connections_evicted_total, and /metrics still answers.
- DNS answers over UDP go on.
"""

import os
import socket
import sys
import threading
import time
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fodns_harness as h  # noqa: E402

EN = 'example.net.'


class Flood:
    def __init__(self, port):
        self.port = port
        self.stop_flag = threading.Event()
        self.socks = []
        self.thread = threading.Thread(target=self.run, daemon=True)

    def open(self, source, payload):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind((source, 0))
            s.settimeout(0.5)
            s.connect(('127.0.0.1', self.port))
            s.sendall(payload)
            s.setblocking(False)
            return s
        except OSError:
            s.close()
            return None

    def run(self):
        want = [('127.0.2.%d' % (1 + i // 10), b'GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ')
                for i in range(200)]
        want += [('127.0.3.1', b'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n')] * 20
        held = [None] * len(want)
        while not self.stop_flag.is_set():
            for i, (src, payload) in enumerate(want):
                s = held[i]
                if s is not None and payload.endswith(b' '):
                    try:
                        s.send(b'a')
                    except OSError:
                        s.close()
                        s = None
                if s is None:
                    s = self.open(src, payload)
                held[i] = s
            self.socks = [s for s in held if s is not None]
            self.stop_flag.wait(0.5)
        for s in held:
            if s is not None:
                s.close()

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.stop_flag.set()
        self.thread.join(10)


class HttpReserve(unittest.TestCase):
    def test_healthz_during_flood(self):
        f = h.FailoverFodns(threads=1)
        ok = False
        try:
            f.import_zones().serve()
            base = 'http://127.0.0.1:%d' % f.http_port
            flood = Flood(f.http_port).start()
            try:
                time.sleep(3)
                self.assertGreater(len(flood.socks), 128, 'the flood did not fill the limit')
                answered = 0
                for _ in range(10):
                    t0 = time.monotonic()
                    try:
                        with urllib.request.urlopen(base + '/healthz', timeout=2) as r:
                            if r.status == 200 and r.read() == b'ok\n' and time.monotonic() - t0 < 2:
                                answered += 1
                    except OSError:
                        pass
                    time.sleep(0.1)
                evicted = f.metric('fodns_http_connections_evicted_total') or 0
                sys.stderr.write('\n/healthz during the flood: %d/10 answered within 2 s; '
                                 'flood holds %d connections; evicted %s\n'
                                 % (answered, len(flood.socks), evicted))
                self.assertEqual(answered, 10, 'only %d of 10 /healthz answered in 2 s' % answered)
                self.assertGreaterEqual(evicted, 1)
                m = f.query(EN, 'SOA')
                self.assertTrue(m is not None and m.answer)
            finally:
                flood.stop()
            ok = True
        finally:
            f.cleanup(failed=not ok)


if __name__ == '__main__':
    unittest.main(verbosity=2)
