"""Cross-zone governance: a tenant zone's SRV follows the health of the
provider zone's governed proxies (the hosted-PBX case), end to end.

The test writes two zones: provider.test (SOA, NS) and tenant.test (SOA, NS,
`_sip._udp.tenant.test. SRV` to proxy1.provider.test. and
proxy2.provider.test.). Two TCP listeners of its own on 127.0.0.1 are the
backends p1 and p2 (tcp probe, interval 100ms, timeout 100ms, rise 1, fall 1),
governing `proxy1.provider.test. A` and `proxy2.provider.test. A`. Claims:

- Both up: the tenant SRV has both targets (seen by dig when installed, and
  by the harness's own client).
- p1's listener closed (connections refused): within 5 s the tenant SRV has
  only proxy2; the tenant zone's SOA serial went up; `proxy1.provider.test. A`
  is still served (its only member: all-down open); the log's publish line
  for the flip names one changed zone.
- p1's listener back: within 5 s the SRV has both targets again.
- fodns serve stays alive throughout.
"""

import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fodns_harness as h  # noqa: E402

PROVIDER = """$ORIGIN provider.test.
@ 3600 IN SOA ns1.provider.test. h.provider.test. 1 3600 600 86400 30
@ 300 IN NS ns1.provider.test.
ns1 300 IN A 192.0.2.1
"""
TENANT = """$ORIGIN tenant.test.
@ 3600 IN SOA ns1.tenant.test. h.tenant.test. 1 3600 600 86400 30
@ 300 IN NS ns1.tenant.test.
ns1 300 IN A 192.0.2.1
_sip._udp 300 IN SRV 10 50 5060 proxy1.provider.test.
_sip._udp 300 IN SRV 10 50 5060 proxy2.provider.test.
"""
SRV = '_sip._udp.tenant.test.'
PROBE = ['--probe', 'tcp', '--interval', '100ms', '--timeout', '100ms', '--rise', '1', '--fall', '1']


class CrossZoneSrv(unittest.TestCase):
    def setUp(self):
        self.listeners = [h.TcpBackend(), h.TcpBackend()]
        self.f = h.FailoverFodns(zones=[], http=False)
        self.files = []
        for name, text in (('provider.test.', PROVIDER), ('tenant.test.', TENANT)):
            path = os.path.join(self.f.tmp, name + 'zone')
            with open(path, 'w') as fh:
                fh.write(text)
            self.files.append((name, path))
        self.f.zones = [self.files[1], self.files[0]]  # serve() waits for the first apex
        self.f.import_zones()
        for i, lst in enumerate(self.listeners, 1):
            self.f.cli('backend', 'add', 'p%d' % i, '--address', '127.0.0.1', '--port', str(lst.port), *PROBE)
            self.f.cli('record', 'add', 'proxy%d.provider.test.' % i, '20', 'A', '192.0.2.1%d' % i,
                       '--backend', 'p%d' % i)
        self.f.serve()

    def tearDown(self):
        for lst in self.listeners:
            lst.close()
        self.f.cleanup()

    def srv_targets(self):
        m = self.f.query(SRV, 'SRV', timeout=1.0)
        if m is None:
            return None
        return sorted(rr.text.split()[-1].rstrip('.') for rr in m.answer)

    def wait_targets(self, want):
        got, waited = h.wait_for(lambda: self.srv_targets() == want and self.srv_targets(), timeout=5.0)
        self.assertEqual(self.srv_targets(), want, 'after %.1f s' % waited)

    def test_tenant_srv_follows_provider_proxy(self):
        both = ['proxy1.provider.test', 'proxy2.provider.test']
        self.wait_targets(both)
        d = h.dig(self.f.addr, self.f.port, '+short', SRV, 'SRV')
        if d is not None:
            self.assertEqual(d[0], None)  # +short prints no status line
            self.assertEqual(sorted(l.split()[-1].rstrip('.') for l in d[2].split('\n') if l), both)
        serial = self.f.soa_serial('tenant.test.')
        self.assertIsNotNone(serial)

        mark = len(self.f.log_text())
        self.listeners[0].close()
        self.wait_targets(['proxy2.provider.test'])
        self.assertGreater(self.f.soa_serial('tenant.test.'), serial)
        m = self.f.query('proxy1.provider.test.', 'A', timeout=1.0)
        self.assertEqual([rr.text.split()[-1] for rr in m.answer], ['192.0.2.11'])  # all-down open
        published = re.findall(r'snapshot published" reason="backend health changed".*?changed_zones=(\d+)',
                               self.f.log_text()[mark:])
        self.assertEqual(published[:1], ['1'], self.f.log_text()[-2000:])  # the flip: the tenant zone alone

        self.listeners[0].open()
        self.wait_targets(both)
        self.assertTrue(self.f.alive())


if __name__ == '__main__':
    unittest.main(verbosity=2)
