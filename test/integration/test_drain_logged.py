"""A drain that changes the answers is logged as a change (issue 14), and the
example zone serves no ungoverned `sip AAAA`.

fodns serves zones/example.net.zone on 127.0.0.1; backend `p1` (tcp probe to a
listener this test runs on 127.0.1.1) governs `sip.example.net. A 127.0.1.1`.
Claims:
- Once p1 is up, sip A is {127.0.1.1, 127.0.1.2}; `backend drain p1` takes
  127.0.1.1 out, and the publication it causes logs reason="database changed"
  with changed_zones=1 (as a health change does); `backend resume p1` brings it
  back, again with changed_zones=1. A CLI edit that changes no answer (a new
  backend governing nothing) logs changed_zones=0.
- sip AAAA has no answer in any of these states (no ungoverned ::1 in the zone).
"""

import os
import re
import socket
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fodns_harness as h  # noqa: E402

EN = 'example.net.'
SIP = 'sip.' + EN


class DrainLogged(unittest.TestCase):
    def setUp(self):
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(('127.0.1.1', 0))
        self.listener.listen(64)
        port = self.listener.getsockname()[1]
        self.f = h.FailoverFodns(zones=[(EN, os.path.join(h.ZONES, 'example.net.zone'))], http=False)
        self.failed = True
        self.f.import_zones()
        self.f.cli('backend', 'add', 'p1', '--address', '127.0.1.1', '--port', str(port),
                   '--probe', 'tcp', '--interval', '200ms', '--timeout', '150ms')
        self.f.cli('record', 'set-backend', SIP, 'A', '127.0.1.1', '--backend', 'p1')
        self.f.serve()

    def tearDown(self):
        self.f.cleanup(failed=self.failed)
        self.listener.close()

    def publications(self):
        return re.findall(r'msg="snapshot published" reason="([^"]*)".*? changed_zones=(\d+)',
                          self.f.log_text())

    def no_aaaa(self):
        m = self.f.query(SIP, 'AAAA', timeout=1.0)
        self.assertIsNotNone(m)
        self.assertEqual(m.rrs('answer', 'AAAA'), [])

    def test_drain_counts_as_a_change(self):
        both = {'127.0.1.1', '127.0.1.2'}
        self.assertTrue(h.wait_for(lambda: self.f.addrs(SIP) == both, 5.0)[0], self.f.addrs(SIP))
        self.no_aaaa()
        before = len(self.publications())
        self.f.cli('backend', 'drain', 'p1', '--reason', 'maintenance')
        self.assertTrue(h.wait_for(lambda: self.f.addrs(SIP) == {'127.0.1.2'}, 3.0)[0])
        self.assertTrue(h.wait_for(lambda: len(self.publications()) > before, 3.0)[0])
        self.assertIn(('database changed', '1'), self.publications()[before:])
        self.no_aaaa()

        before = len(self.publications())
        self.f.cli('backend', 'resume', 'p1')
        self.assertTrue(h.wait_for(lambda: self.f.addrs(SIP) == both, 5.0)[0])
        self.assertTrue(h.wait_for(lambda: ('database changed', '1') in self.publications()[before:], 3.0)[0],
                        self.publications()[before:])

        before = len(self.publications())
        self.f.cli('backend', 'add', 'idle', '--address', '127.0.1.9', '--probe', 'tcp')
        self.assertTrue(h.wait_for(lambda: len(self.publications()) > before, 3.0)[0])
        self.assertEqual(self.publications()[before], ('database changed', '0'))
        self.no_aaaa()
        self.failed = False


if __name__ == '__main__':
    unittest.main(verbosity=2)
