"""End-to-end failover with ICMP echo probes against two network namespaces.

Needs root and `ip netns`; skipped with a message saying which is missing.
The test makes two namespaces of its own (fot<pid>a, fot<pid>b), each joined
to the root namespace by a veth pair, with addresses from 10.99.0.0/16 (a
test range that exists only on those veths): a = 10.99.N.2/30 (root side
.1), b = 10.99.N.6/30 (root side .5). fodns imports zones/example.net.zone
and gets two icmp backends (interval 200ms, timeout 150ms, rise 2, fall 2)
governing `pool.example.net A` (both priority 0: an all-healthy pool) and
`hosta.example.net A`. The namespaces are deleted in a cleanup that always
runs (which deletes the veths too). Claims:

- Both hosts answer pings: `pool.example.net A` has both addresses, status
  says up with an RTT, the pool carries a TTL <= 20.
- The ns-side link of a taken down: within 5 s `pool.example.net A` has only
  b's address; the SOA serial went up; `events` has a up -> down "2
  consecutive failures, last: timeout ..."; `status` last_error is set;
  `hosta.example.net A` (its only member down) is still served (all-down open).
- The link up again: within 5 s the address is back; event down -> up after
  "2 consecutive successes".
- The root-side link of b taken down (the route goes away, sending fails at
  once): b leaves the answer within 5 s with a reason naming the ICMP/network
  unreachable error (or a timeout), a stays; up again: back.
- When `fodns serve` has --http, /metrics fodns_backend_up follows each flip.
- fodns serve stays alive throughout.
"""

import os
import shutil
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fodns_harness as h  # noqa: E402

EN = 'example.net.'
POOL = 'pool.example.net.'
PROBE = ['--interval', '200ms', '--timeout', '150ms', '--rise', '2', '--fall', '2']
FLIP_S = 5.0


def run(*argv, check=True):
    cp = subprocess.run(list(argv), capture_output=True, text=True, timeout=30)
    if check and cp.returncode != 0:
        raise RuntimeError('%s: exit %d: %s' % (' '.join(argv), cp.returncode, cp.stderr.strip()))
    return cp


def netns_unavailable():
    """Why the namespaces cannot be made here, or None."""
    if os.geteuid() != 0:
        return 'not root: ICMP failover needs root to make network namespaces (ip netns)'
    if shutil.which('ip') is None:
        return '`ip` (iproute2) is not installed'
    name = 'fotprobe%d' % os.getpid()
    cp = run('ip', 'netns', 'add', name, check=False)
    if cp.returncode != 0:
        return '`ip netns add` fails here: %s' % cp.stderr.strip()
    run('ip', 'netns', 'del', name, check=False)
    return None


class Host:
    """A namespace joined to the root namespace by a veth pair /30."""

    def __init__(self, tag, net, index):
        pid = os.getpid() % 100000
        self.ns = 'fot%d%s' % (pid, tag)
        self.root_if = 'fo%d%s0' % (pid, tag)  # <= 15 characters
        self.ns_if = 'fo%d%s1' % (pid, tag)
        base = 4 * index
        self.root_addr = '10.99.%d.%d' % (net, base + 1)
        self.addr = '10.99.%d.%d' % (net, base + 2)

    def create(self, test):
        run('ip', 'netns', 'add', self.ns)
        test.addCleanup(self.destroy)
        run('ip', 'link', 'add', self.root_if, 'type', 'veth', 'peer', 'name', self.ns_if)
        run('ip', 'link', 'set', self.ns_if, 'netns', self.ns)
        run('ip', 'addr', 'add', self.root_addr + '/30', 'dev', self.root_if)
        run('ip', 'link', 'set', self.root_if, 'up')
        run('ip', 'netns', 'exec', self.ns, 'ip', 'addr', 'add', self.addr + '/30', 'dev',
            self.ns_if)
        run('ip', 'netns', 'exec', self.ns, 'ip', 'link', 'set', self.ns_if, 'up')
        run('ip', 'netns', 'exec', self.ns, 'ip', 'link', 'set', 'lo', 'up')

    def ns_link(self, up):
        run('ip', 'netns', 'exec', self.ns, 'ip', 'link', 'set', self.ns_if,
            'up' if up else 'down')

    def root_link(self, up):
        run('ip', 'link', 'set', self.root_if, 'up' if up else 'down')

    def destroy(self):
        # Deleting the namespace deletes its veth end, and with it the peer.
        run('ip', 'netns', 'del', self.ns, check=False)
        run('ip', 'link', 'del', self.root_if, check=False)


class IcmpFailover(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        why = netns_unavailable()
        if why:
            raise unittest.SkipTest(why)

    def setUp(self):
        net = 100 + os.getpid() % 150
        self.a = Host('a', net, 0)
        self.b = Host('b', net, 1)
        for host in (self.a, self.b):
            host.destroy()  # leftovers of a killed run with the same pid
            host.create(self)
        self.f = h.FailoverFodns(zones=[(EN, os.path.join(h.ZONES, 'example.net.zone'))])
        self.addCleanup(self._cleanup_fodns)
        self.f.import_zones()
        for name, host in (('hosta', self.a), ('hostb', self.b)):
            self.f.cli('backend', 'add', name, '--address', host.addr, '--probe', 'icmp', *PROBE)
            self.f.cli('record', 'add', POOL, '20', 'A', host.addr, '--backend', name)
        self.f.cli('record', 'add', 'hosta.example.net.', '20', 'A', self.a.addr,
                   '--backend', 'hosta')
        self.f.serve()

    def _cleanup_fodns(self):
        outcome = getattr(self, '_outcome', None)
        self.f.cleanup(failed=not getattr(outcome, 'success', True))

    def tearDown(self):
        self.assertTrue(self.f.alive(), 'fodns serve died\n' + self.f.log_text())

    def diag(self):
        try:
            return 'status: %r\nevents: %r\n%s' % (self.f.status(), self.f.events(20),
                                                    self.f.log_text())
        except Exception as e:  # noqa: BLE001 - diagnostics only
            return 'status/events failed: %s\n%s' % (e, self.f.log_text())

    def wait(self, pred, what, timeout=FLIP_S):
        val, took = h.wait_for(pred, timeout)
        if not val:
            self.fail('%s: not within %.1f s (last %r)\n%s' % (what, timeout, val, self.diag()))
        return val

    def pool_is(self, *hosts):
        want = {x.addr for x in hosts}
        return lambda: self.f.addrs(POOL) == want

    def last_event_id(self):
        ev = self.f.events(1)
        return ev[-1]['id'] if ev else 0

    def wait_event(self, after_id, backend, to, reason_re):
        def pred():
            for e in self.f.events(50):
                if e['id'] > after_id and e['backend'] == backend and e['to'] == to:
                    return e
            return None
        e = self.wait(pred, 'event %s -> %s' % (backend, to))
        self.assertRegex(e['reason'], reason_re, e)
        return e

    def flip(self, action, backend, to, want_pool, reason_re):
        serial = self.f.soa_serial()
        ev = self.last_event_id()
        action()
        self.wait(self.pool_is(*want_pool), '%s A == %s' % (POOL, [x.addr for x in want_pool]))
        self.wait(lambda: (self.f.soa_serial() or 0) > serial, 'SOA serial above %d' % serial)
        self.wait_event(ev, backend, to, reason_re)
        if self.f.http_port is not None:
            self.wait(lambda: self.f.metric('fodns_backend_up', backend=backend) ==
                      (1 if to == 'up' else 0), '/metrics fodns_backend_up{%s}' % backend)

    def test_initial_pool(self):
        m = self.f.query(POOL, 'A')
        self.assertEqual({rr.text for rr in m.rrs('answer', 'A')}, {self.a.addr, self.b.addr},
                         str(m))
        for rr in m.rrs('answer', 'A'):
            self.assertLessEqual(rr.ttl, 20, rr)
        st = {b['name']: b for b in self.f.status()['backends']}
        for name in ('hosta', 'hostb'):
            self.assertEqual(st[name]['state'], 'up', st)
            self.assertEqual(st[name]['probe'], 'icmp', st)
        self.wait(lambda: self.f.backend_status('hosta')['last_rtt_ms'] is not None,
                  'an RTT for hosta')

    def test_ns_link_down_then_up(self):
        self.flip(lambda: self.a.ns_link(False), 'hosta', 'down', [self.b],
                  r'2 consecutive failures, last: .*timeout')
        st = self.f.backend_status('hosta')
        self.assertEqual(st['state'], 'down', st)
        self.assertTrue(st['last_error'], st)
        # Its only member down: hosta.example.net A served anyway (all-down open).
        self.assertEqual(self.f.addrs('hosta.example.net.'), {self.a.addr})
        self.flip(lambda: self.a.ns_link(True), 'hosta', 'up', [self.a, self.b],
                  r'2 consecutive successes')

    def test_root_link_down_then_up(self):
        self.flip(lambda: self.b.root_link(False), 'hostb', 'down', [self.a],
                  r'2 consecutive failures, last: .*([Uu]nreachable|timeout)')
        self.assertEqual(self.f.backend_status('hosta')['state'], 'up')
        self.flip(lambda: self.b.root_link(True), 'hostb', 'up', [self.a, self.b],
                  r'2 consecutive successes')


if __name__ == '__main__':
    unittest.main(verbosity=2)
