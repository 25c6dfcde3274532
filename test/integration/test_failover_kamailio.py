"""End-to-end failover with real SIP peers: two Kamailio instances.

The test starts two Kamailio processes in the foreground (-DD -E, own -Y
runtime dir, -n 1) with test/integration/kamailio/options.cfg: the primary on
udp+tcp 127.0.1.1:5060, the backup on 127.0.1.2:5060; they answer OPTIONS
with 200 (switchable to 503 while running). fodns imports zones/example.net.zone
and gets two sip-options backends, sip1 -> 127.0.1.1 and sip2 -> 127.0.1.2
(interval 200ms, timeout 150ms, rise 2, fall 2), governing
`sip.example.net A` (sip1 priority 0, sip2 priority 10) and the SRV targets
`sip1.example.net A` / `sip2.example.net A`. Everything runs twice: with
SIP over UDP (checking _sip._udp SRV) and over TCP (--transport tcp, _sip._tcp).
Claims, for each transport:

- Before the first answer both backends are probed: `sip.example.net A` is
  the primary only (lowest priority tier), the SRV answer names sip1 and sip2,
  governed RRsets carry a TTL <= 20, `status` says up for both.
- Primary killed (SIGKILL to its process group): within 5 s raw queries and
  `dig` see only the backup in `sip.example.net A`, and the SRV answer (and
  its additional section) no longer names sip1; the SOA serial went up;
  `events` has sip1 up -> down with reason "2 consecutive failures, last:
  ICMP port unreachable" (UDP: the connected socket gets the ICMP error) or
  "... refused" (TCP).
- All down: `sip1.example.net A`, whose only member is down, is still served
  (all-down open, the default); with the backup killed too,
  `sip.example.net A` serves both members; `rrset set sip1.example.net. A
  --all-down closed` while serving bumps the serial and makes it NODATA
  (NOERROR, no answer, SOA in authority), not NXDOMAIN.
- Primary started again: within 5 s it is back in the A answer and the SRV;
  the event says down -> up after "2 consecutive successes" (rise).
- Primary answering 503: goes down within 5 s, the event reason names SIP 503;
  back to 200: up again.
- `backend drain sip1 --reason ...`: goes down within 5 s although its probes
  succeed, `events` shows -> drained with the reason, `status` says drained;
  `backend resume sip1`: back, event "resumed by operator".
- After each flip, when `fodns serve` has an HTTP endpoint (`--http`),
  /metrics fodns_backend_up{backend="sip1"} follows (1/0), and
  fodns_backend_drained follows the drain.
- The fodns process is alive at the end of every test.
"""

import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fodns_harness as h  # noqa: E402

EN = 'example.net.'
SIP = 'sip.example.net.'
PRIMARY, BACKUP = '127.0.1.1', '127.0.1.2'
PROBE = ['--interval', '200ms', '--timeout', '150ms', '--rise', '2', '--fall', '2']
FLIP_S = 5.0  # generous: the probes need about 0.4 s


class KamailioFailoverBase:
    transport = 'udp'

    @classmethod
    def setUpClass(cls):
        if h.kamailio_binary() is None:
            raise unittest.SkipTest('kamailio is not installed (Debian package kamailio)')

    def setUp(self):
        self.srv = '_sip._%s.example.net.' % self.transport
        self.k1 = h.Kamailio(PRIMARY)
        self.addCleanup(self.k1.cleanup)
        self.k2 = h.Kamailio(BACKUP)
        self.addCleanup(self.k2.cleanup)
        self.k1.start()
        self.k2.start()
        self.f = h.FailoverFodns(zones=[(EN, os.path.join(h.ZONES, 'example.net.zone'))])
        self.addCleanup(self._cleanup_fodns)
        self.f.import_zones()
        for name, addr in (('sip1', PRIMARY), ('sip2', BACKUP)):
            self.f.cli('backend', 'add', name, '--address', addr, '--probe', 'sip-options',
                       '--transport', self.transport, *PROBE)
        self.f.cli('record', 'set-backend', SIP, 'A', PRIMARY, '--backend', 'sip1',
                   '--priority', '0')
        self.f.cli('record', 'set-backend', SIP, 'A', BACKUP, '--backend', 'sip2',
                   '--priority', '10')
        self.f.cli('record', 'set-backend', 'sip1.example.net.', 'A', PRIMARY, '--backend', 'sip1')
        self.f.cli('record', 'set-backend', 'sip2.example.net.', 'A', BACKUP, '--backend', 'sip2')
        self.f.serve()

    def _cleanup_fodns(self):
        outcome = getattr(self, '_outcome', None)
        self.f.cleanup(failed=not getattr(outcome, 'success', True))

    # --- helpers -----------------------------------------------------------
    def diag(self):
        out = []
        try:
            out.append('status: %r' % self.f.status())
            out.append('events: %r' % self.f.events(20))
        except Exception as e:  # noqa: BLE001 - diagnostics only
            out.append('status/events failed: %s' % e)
        out.append(self.f.log_text())
        for k in (self.k1, self.k2):
            out.append('--- kamailio %s ---\n%s' % (k.addr, k.log_text()[-1500:]))
        return '\n'.join(out)

    def wait(self, pred, what, timeout=FLIP_S):
        val, took = h.wait_for(pred, timeout)
        if not val:
            self.fail('%s: not within %.1f s (last %r)\n%s' % (what, timeout, val, self.diag()))
        return val, took

    def a_is(self, want):
        return lambda: self.f.addrs(SIP, 'A') == want

    def srv_is(self, targets):
        want = {t + '.example.net.' for t in targets}

        def pred():
            got = self.f.srv_targets(self.srv)
            return got is not None and got[0] == want and got[1] <= want
        return pred

    def last_event_id(self):
        ev = self.f.events(1)
        return ev[-1]['id'] if ev else 0

    def wait_event(self, after_id, backend, to, reason_re):
        def pred():
            for e in self.f.events(50):
                if e['id'] > after_id and e['backend'] == backend and e['to'] == to:
                    return e
            return None
        e, _ = self.wait(pred, 'event %s -> %s' % (backend, to))
        self.assertRegex(e['reason'], reason_re, 'event reason: %r' % e)
        self.assertTrue(e.get('time') and e.get('at_ms'), e)
        return e

    def check_serial_up(self, before):
        self.wait(lambda: (self.f.soa_serial() or 0) > before, 'SOA serial above %d' % before)

    def check_metric(self, backend, up=None, drained=None):
        if self.f.http_port is None:
            return  # this fodns has no HTTP endpoint yet
        if up is not None:
            self.wait(lambda: self.f.metric('fodns_backend_up', backend=backend) == up,
                      '/metrics fodns_backend_up{backend="%s"} == %d' % (backend, up))
        if drained is not None:
            self.wait(lambda: self.f.metric('fodns_backend_drained', backend=backend) == drained,
                      '/metrics fodns_backend_drained{backend="%s"} == %d' % (backend, drained))

    def dig_a(self):
        r = h.dig(self.f.addr, self.f.port, '+short', SIP, 'A', tcp=(self.transport == 'tcp'))
        if r is None:
            return None
        return set(r[2].split())

    def flip_down(self, action, reason_re, event_to='down'):
        """Run action(), then wait for the primary to leave the answers."""
        serial = self.f.soa_serial()
        ev = self.last_event_id()
        t0 = time.monotonic()
        action()
        _, took = self.wait(self.a_is({BACKUP}), 'A answer without the primary')
        sys.stderr.write('[%s] primary out of the answer %.2f s after the change\n'
                         % (self.transport, time.monotonic() - t0))
        self.wait(self.srv_is(['sip2']), 'SRV %s without sip1' % self.srv)
        dug = self.dig_a()
        if dug is not None:
            self.assertEqual(dug, {BACKUP}, 'dig +short %s A' % SIP)
        self.check_serial_up(serial)
        self.wait_event(ev, 'sip1', event_to, reason_re)
        return took

    def flip_up(self, action, reason_re=r'2 consecutive successes', event_from=None):
        serial = self.f.soa_serial()
        ev = self.last_event_id()
        action()
        self.wait(self.a_is({PRIMARY}), 'A answer back to the primary')
        self.wait(self.srv_is(['sip1', 'sip2']), 'SRV %s with sip1 again' % self.srv)
        dug = self.dig_a()
        if dug is not None:
            self.assertEqual(dug, {PRIMARY}, 'dig +short %s A' % SIP)
        self.check_serial_up(serial)
        e = self.wait_event(ev, 'sip1', 'up', reason_re)
        if event_from:
            self.assertEqual(e['from'], event_from, e)

    def tearDown(self):
        self.assertTrue(self.f.alive(), 'fodns serve died\n' + self.f.log_text())

    # --- tests -------------------------------------------------------------
    def test_initial_answers(self):
        m = self.f.query(SIP, 'A')
        self.assertIsNotNone(m)
        self.assertEqual({rr.text for rr in m.rrs('answer', 'A')}, {PRIMARY}, str(m))
        for rr in m.rrs('answer', 'A'):
            self.assertLessEqual(rr.ttl, 20, 'governed TTL: %r' % rr)
        self.assertTrue(self.srv_is(['sip1', 'sip2'])(), str(self.f.query(self.srv, 'SRV')))
        m = self.f.query(self.srv, 'SRV')
        for rr in m.rrs('answer', 'SRV'):
            self.assertLessEqual(rr.ttl, 20, 'SRV of governed targets: %r' % rr)
        self.assertEqual(self.f.addrs('sip1.example.net.'), {PRIMARY})
        self.assertEqual(self.f.addrs('sip2.example.net.'), {BACKUP})
        st = {b['name']: b for b in self.f.status()['backends']}
        self.assertEqual(st['sip1']['state'], 'up', st)
        self.assertEqual(st['sip2']['state'], 'up', st)
        self.assertEqual(st['sip1']['transport'], self.transport, st)
        self.check_metric('sip1', up=1, drained=0)
        self.check_metric('sip2', up=1)

    def test_kill_then_restart(self):
        dead = r'ICMP port unreachable' if self.transport == 'udp' else r'[Rr]efused'
        self.flip_down(self.k1.kill, r'2 consecutive failures, last: .*' + dead)
        st = self.f.backend_status('sip1')
        self.assertEqual(st['state'], 'down', st)
        self.assertRegex(st['last_error'] or '', dead, st)
        self.check_metric('sip1', up=0)
        self.check_metric('sip2', up=1)
        # Back: after `rise` (2) successes.
        self.flip_up(self.k1.start, event_from='down')
        st = self.f.backend_status('sip1')
        self.assertEqual(st['state'], 'up', st)
        self.assertGreaterEqual(st['successes'], 2, st)
        self.assertEqual(self.f.addrs('sip1.example.net.'), {PRIMARY})
        self.check_metric('sip1', up=1)

    def test_all_down_open_then_closed(self):
        self.flip_down(self.k1.kill, r'consecutive failures')
        # The only member of sip1.example.net A is down: served anyway (all-down open).
        self.assertEqual(self.f.addrs('sip1.example.net.'), {PRIMARY})
        # Both members of sip.example.net A down: both served (all-down open).
        ev = self.last_event_id()
        self.k2.kill()
        self.wait_event(ev, 'sip2', 'down', r'consecutive failures')
        self.wait(self.a_is({PRIMARY, BACKUP}), 'A answer with both (all down, open)')
        # all-down closed: NODATA (the name still exists: NOERROR, no answer, SOA).
        serial = self.f.soa_serial()
        self.f.cli('rrset', 'set', 'sip1.example.net.', 'A', '--all-down', 'closed')
        self.check_serial_up(serial)
        last = []

        def nodata():
            m = self.f.query('sip1.example.net.', 'A', timeout=1.0)
            last[:] = [m]
            return (m is not None and m.rcode == h.NOERROR and not m.answer and m.aa and
                    bool(m.rrs('authority', 'SOA')))
        val, _ = h.wait_for(nodata, FLIP_S)
        self.assertTrue(val, 'sip1.example.net A with --all-down closed and its backend down: '
                        'want NODATA (NOERROR, no answer, SOA in authority), got:\n%s'
                        % (last[0] if last else None))

    def test_503_then_200(self):
        self.flip_down(lambda: self.k1.set_answer(503), r'503')
        st = self.f.backend_status('sip1')
        self.assertEqual(st['state'], 'down', st)
        self.assertRegex(st['last_error'] or '', r'503', st)
        self.check_metric('sip1', up=0)
        self.flip_up(lambda: self.k1.set_answer(200), event_from='down')
        self.check_metric('sip1', up=1)

    def test_drain_then_resume(self):
        self.flip_down(lambda: self.f.cli('backend', 'drain', 'sip1', '--reason',
                                          'kernel upgrade'),
                       r'kernel upgrade', event_to='drained')
        st = self.f.backend_status('sip1')
        self.assertTrue(st['drained'], st)
        self.assertEqual(st['drain_reason'], 'kernel upgrade', st)
        # The probes still succeed; the drain wins.
        time.sleep(0.6)
        self.assertEqual(self.f.addrs(SIP), {BACKUP})
        self.check_metric('sip1', drained=1)
        self.flip_up(lambda: self.f.cli('backend', 'resume', 'sip1'), r'resumed',
                     event_from='drained')
        self.assertFalse(self.f.backend_status('sip1')['drained'])
        self.check_metric('sip1', up=1, drained=0)


class KamailioFailoverUdp(KamailioFailoverBase, unittest.TestCase):
    transport = 'udp'


class KamailioFailoverTcp(KamailioFailoverBase, unittest.TestCase):
    transport = 'tcp'


if __name__ == '__main__':
    unittest.main(verbosity=2)
