"""Every AXFR/IXFR request is logged, granted or refused (issue 14).

fodns serves the fixture zones; example.net. allows transfers to
127.0.0.1/32 with the TSIG key xfr-log-key. (hmac-sha256). Claims, each from
the server's log (one `msg="transfer"` line per request, key=value):

- A signed AXFR from 127.0.0.1: client=127.0.0.1:PORT (the client's own port),
  zone=example.net. kind=AXFR key="xfr-log-key." serial=<the served SOA serial>
  outcome=axfr transport=tcp.
- A signed IXFR from the current serial: kind=IXFR client_serial=<serial>
  outcome=up_to_date.
- An unsigned AXFR: key=- outcome=refused, with the zone's serial.
- An AXFR of a zone that allows no transfers (rules.test.): outcome=refused serial=-.
- A signed AXFR with an unknown key: key="nosuch-key." outcome=notauth.
- 60 refused requests in a burst: at most 20 lines in that second per worker,
  and a later line carries suppressed=N for the ones left out.
"""

import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fodns_harness as h  # noqa: E402
import xfr_client as x  # noqa: E402

EN = 'example.net.'


def transfer_lines(text):
    out = []
    for line in text.splitlines():
        if 'msg="transfer"' not in line:
            continue
        out.append(dict(re.findall(r'(\w+)=("[^"]*"|\S+)', line)))
    return out


class TransferLog(unittest.TestCase):
    def setUp(self):
        self.f = h.FailoverFodns(http=False, threads=1)
        self.failed = True
        self.key = x.Key('xfr-log-key.')
        self.f.import_zones()
        self.f.cli('tsig', 'add', self.key.name, '--secret', self.key.secret)
        self.f.cli('zone', 'set', EN, '--allow-transfer', '127.0.0.1/32+key:' + self.key.name)
        self.f.serve()

    def tearDown(self):
        self.f.cleanup(failed=self.failed)

    def wait_lines(self, n):
        h.wait_for(lambda: len(transfer_lines(self.f.log_text())) >= n, 3.0)
        return transfer_lines(self.f.log_text())

    def test_transfers_logged(self):
        serial = self.f.soa_serial(EN)
        ax = x.transfer(self.f.addr, self.f.port, EN, key=self.key)
        self.assertTrue(ax.complete, repr(ax))
        lines = self.wait_lines(1)
        self.assertEqual(len(lines), 1, lines)
        ln = lines[0]
        self.assertRegex(ln['client'], r'^127\.0\.0\.1:\d+$')
        self.assertEqual((ln['zone'], ln['kind'], ln['key'], ln['serial'], ln['outcome'],
                          ln['transport']),
                         (EN, 'AXFR', '"xfr-log-key."', str(serial), 'axfr', 'tcp'))

        x.transfer(self.f.addr, self.f.port, EN, qtype='IXFR', serial=serial, key=self.key)
        ln = self.wait_lines(2)[1]
        self.assertEqual((ln['kind'], ln['client_serial'], ln['outcome']),
                         ('IXFR', str(serial), 'up_to_date'))

        x.transfer(self.f.addr, self.f.port, EN)
        ln = self.wait_lines(3)[2]
        self.assertEqual((ln['key'], ln['serial'], ln['outcome']), ('-', str(serial), 'refused'))

        x.transfer(self.f.addr, self.f.port, 'rules.test.', key=self.key)
        ln = self.wait_lines(4)[3]
        self.assertEqual((ln['zone'], ln['serial'], ln['outcome']), ('rules.test.', '-', 'refused'))

        x.transfer(self.f.addr, self.f.port, EN, key=x.Key('nosuch-key.'))
        ln = self.wait_lines(5)[4]
        self.assertEqual((ln['key'], ln['outcome']), ('"nosuch-key."', 'notauth'))

        # A burst: the log is bounded, and what was left out is counted.
        time.sleep(1.0 - time.time() % 1.0 + 0.05)  # start of a second
        for _ in range(60):
            x.transfer(self.f.addr, self.f.port, EN, timeout=2.0)
        time.sleep(1.1)
        x.transfer(self.f.addr, self.f.port, EN)
        lines = self.wait_lines(6)[5:]
        self.assertLess(len(lines), 61, 'a burst of 60 refused requests was logged in full')
        suppressed = sum(int(ln.get('suppressed', 0)) for ln in lines)
        self.assertEqual(len(lines) + suppressed, 61, lines[-3:])
        self.failed = False


if __name__ == '__main__':
    unittest.main(verbosity=2)
