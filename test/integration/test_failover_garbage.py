"""Failover against a garbage-speaking SIP peer: replies are judged by the
alive codes, garbage never counts and never hurts fodns.

A SIP peer written here (UDP, 127.0.1.31:5060, switchable reply modes) is
the backend `peer` (sip-options over UDP, interval 200ms, timeout 150ms, rise
2, fall 2, default alive codes 200-407,409-499) and, with --alive-codes
200-599, the backend `lenient` at the same address. A well-behaved peer on
127.0.1.32 is the backend `backup`. `gpool.example.net A` is 127.0.1.31
(`peer`, priority 0) and 127.0.1.32 (`backup`, priority 10). Claims:

- Each of these alone makes `peer` down within 5 s (and `gpool` answers the
  backup only), and fodns keeps answering and stays alive:
  random bytes; a 200 with the right branch but a wrong Call-ID; a 200 with
  the right Call-ID but a wrong branch; truncated headers (no blank line,
  or a status line only); a status line that does not parse ("SIP/2.0 2x0",
  "SIP/2.0 99999"); 100 Trying and no final reply; the 200 for the previous
  newest request that has timed out, sent to the new probe's socket (a late
  reply never counts for a new one); a 64 kB datagram of
  random bytes; silence.
- Garbage before a valid reply does not hurt: random bytes, a wrong-Call-ID
  503, a wrong-branch 503 and truncated headers, then a matching 200 ->
  `peer` comes up within 5 s and then stays up (no down event for 2 s).
- The matching final reply decides: a wrong-Call-ID 200 then a matching 503
  -> `peer` down (503 is not alive by default) while `lenient` (alive
  codes 200-599) is up; `status` shows the 503 as last error of `peer`.
- fodns serve is alive and answers SOA after all of it.
"""

import os
import random
import re
import socket
import sys
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fodns_harness as h  # noqa: E402

EN = 'example.net.'
POOL = 'gpool.example.net.'
PEER, BACKUP = '127.0.1.31', '127.0.1.32'
PROBE = ['--interval', '200ms', '--timeout', '150ms', '--rise', '2', '--fall', '2']
FLIP_S = 5.0


def header_values(req, name, compact=None):
    out = []
    for line in req.split('\r\n')[1:]:
        if not line:
            break
        k, _, v = line.partition(':')
        if k.strip().lower() in (name.lower(), (compact or '').lower()):
            out.append(v.strip())
    return out


def reply(req, code=200, text='OK', callid=None, branch=None):
    """A final reply to the request text: Via/From/To/Call-ID/CSeq copied."""
    vias = header_values(req, 'Via', 'v')
    if branch is not None and vias:
        vias[0] = re.sub(r'branch=[^;,\s]+', 'branch=' + branch, vias[0])
    lines = ['SIP/2.0 %d %s' % (code, text)]
    lines += ['Via: ' + v for v in vias]
    lines += ['From: ' + v for v in header_values(req, 'From', 'f')]
    lines += ['To: %s;tag=peer%04x' % (v, random.getrandbits(16))
              for v in header_values(req, 'To', 't')]
    cid = callid if callid is not None else (header_values(req, 'Call-ID', 'i') or [''])[0]
    lines += ['Call-ID: ' + cid]
    lines += ['CSeq: ' + v for v in header_values(req, 'CSeq')]
    lines += ['Server: garbage-peer', 'Content-Length: 0', '', '']
    return '\r\n'.join(lines).encode()


def rand_bytes(n):
    return bytes(random.getrandbits(8) for _ in range(n))


# Each mode maps a request (text) and the previous request to the datagrams sent back.
MODES = {
    'ok': lambda r, prev: [reply(r)],
    'silent': lambda r, prev: [],
    'random': lambda r, prev: [rand_bytes(random.randint(1, 1400)) for _ in range(3)],
    'random_sip_prefix': lambda r, prev: [b'SIP/2.0 200 OK\r\n' + rand_bytes(300)],
    'wrong_callid': lambda r, prev: [reply(r, callid='not-yours@garbage')],
    'wrong_branch': lambda r, prev: [reply(r, branch='z9hG4bKnotyours')],
    'truncated': lambda r, prev: [reply(r)[:60], reply(r).split(b'\r\n\r\n')[0],
                                  b'SIP/2.0 200 OK'],
    'bad_status': lambda r, prev: [reply(r).replace(b'SIP/2.0 200', b'SIP/2.0 2x0', 1),
                                   reply(r).replace(b'SIP/2.0 200', b'SIP/2.0 99999', 1),
                                   reply(r).replace(b'SIP/2.0 200 OK', b'SIP/2.0', 1)],
    'provisional_only': lambda r, prev: [reply(r, 100, 'Trying')],
    'late': None,  # in Peer.run: the 200 for an older, timed-out request
    'huge': lambda r, prev: [rand_bytes(65000)],
    'garbage_then_ok': lambda r, prev: [
        rand_bytes(200), reply(r, 503, 'Wrong', callid='x@y'),
        reply(r, 503, 'Wrong', branch='z9hG4bKother'), reply(r)[:80],
        reply(r, 100, 'Trying'), reply(r)],
    'wrong_ok_then_503': lambda r, prev: [reply(r, callid='x@y'),
                                          reply(r, 503, 'Service Unavailable')],
}
BAD_MODES = ['random', 'random_sip_prefix', 'wrong_callid', 'wrong_branch', 'truncated',
             'bad_status', 'provisional_only', 'late', 'huge', 'silent']


class Peer(threading.Thread):
    def __init__(self, addr, mode='ok'):
        super().__init__(daemon=True)
        self.mode = mode
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((addr, 5060))
        self.sock.settimeout(0.1)
        self.stopping = False
        self.requests = 0
        self.errors = []

    def run(self):
        history = []  # (arrival time, request text), newest last
        while not self.stopping:
            try:
                data, src = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                break
            self.requests += 1
            req = data.decode('latin-1')
            try:
                now = time.monotonic()
                if self.mode == 'late':
                    # The 200 for the newest request whose probe has timed out
                    # (sent more than 170 ms ago; the timeout is 150 ms), sent to
                    # the socket of the new probe: it must never count.
                    old = [r for t, r in history if now - t > 0.17]
                    if old:
                        self.sock.sendto(reply(old[-1]), src)
                else:
                    for dgram in MODES[self.mode](req, history[-1][1] if history else None):
                        self.sock.sendto(dgram, src)
            except OSError as e:
                self.errors.append(repr(e))
            history.append((time.monotonic(), req))
            del history[:-20]

    def stop(self):
        self.stopping = True
        self.join(5)
        self.sock.close()


class GarbagePeer(unittest.TestCase):
    def setUp(self):
        self.peer = self._peer(PEER)
        self.backup = self._peer(BACKUP)
        self.f = h.FailoverFodns(zones=[(EN, os.path.join(h.ZONES, 'example.net.zone'))])
        self.addCleanup(self._cleanup_fodns)
        self.f.import_zones()
        self.f.cli('backend', 'add', 'peer', '--address', PEER, '--probe', 'sip-options', *PROBE)
        self.f.cli('backend', 'add', 'lenient', '--address', PEER, '--probe', 'sip-options',
                   '--alive-codes', '200-599', *PROBE)
        self.f.cli('backend', 'add', 'backup', '--address', BACKUP, '--probe', 'sip-options',
                   *PROBE)
        self.f.cli('record', 'add', POOL, '20', 'A', PEER, '--backend', 'peer', '--priority', '0')
        self.f.cli('record', 'add', POOL, '20', 'A', BACKUP, '--backend', 'backup',
                   '--priority', '10')
        self.f.serve()

    def _peer(self, addr):
        last = None
        for _ in range(50):  # the address may still be held by a previous test's socket
            try:
                p = Peer(addr)
                break
            except OSError as e:
                last = e
                time.sleep(0.1)
        else:
            raise RuntimeError('cannot bind %s:5060: %s' % (addr, last))
        p.start()
        self.addCleanup(p.stop)
        return p

    def _cleanup_fodns(self):
        outcome = getattr(self, '_outcome', None)
        self.f.cleanup(failed=not getattr(outcome, 'success', True))

    def tearDown(self):
        self.assertTrue(self.f.alive(), 'fodns serve died\n' + self.f.log_text())
        m = self.f.query(EN, 'SOA')
        self.assertTrue(m is not None and m.rcode == h.NOERROR and m.answer,
                        'fodns no longer answers SOA')

    def diag(self):
        try:
            return 'status: %r\nevents: %r\n%s' % (self.f.status(), self.f.events(30),
                                                    self.f.log_text())
        except Exception as e:  # noqa: BLE001 - diagnostics only
            return 'status/events failed: %s\n%s' % (e, self.f.log_text())

    def wait(self, pred, what, timeout=FLIP_S):
        val, _ = h.wait_for(pred, timeout)
        if not val:
            self.fail('%s: not within %.1f s (last %r)\n%s' % (what, timeout, val, self.diag()))
        return val

    def state(self, name):
        b = self.f.backend_status(name)
        return b['state'] if b else None

    def wait_state(self, name, state, mode):
        self.wait(lambda: self.state(name) == state,
                  'mode %s: backend %s %s' % (mode, name, state))

    def test_bad_replies_make_it_down(self):
        self.assertEqual(self.f.addrs(POOL), {PEER})
        for mode in BAD_MODES:
            with self.subTest(mode=mode):
                self.peer.mode = mode
                self.wait_state('peer', 'down', mode)
                self.wait(lambda: self.f.addrs(POOL) == {BACKUP},
                          'mode %s: %s answers the backup only' % (mode, POOL))
                self.assertTrue(self.f.alive(), 'fodns died in mode %s' % mode)
                st = self.f.backend_status('peer')
                self.assertTrue(st['last_error'], 'mode %s: no last_error: %r' % (mode, st))
                # A good peer again: up (so that each mode starts from up).
                self.peer.mode = 'ok'
                self.wait_state('peer', 'up', 'ok after ' + mode)
                self.wait(lambda: self.f.addrs(POOL) == {PEER}, '%s back to the peer' % POOL)
        self.assertFalse(self.peer.errors, self.peer.errors)

    def test_garbage_before_a_valid_reply(self):
        self.peer.mode = 'random'
        self.wait_state('peer', 'down', 'random')
        ev = self.f.events(1)[-1]['id']
        self.peer.mode = 'garbage_then_ok'
        self.wait_state('peer', 'up', 'garbage_then_ok')
        self.wait(lambda: self.f.addrs(POOL) == {PEER}, '%s back to the peer' % POOL)
        mark = self.f.events(1)[-1]['id']
        self.assertGreater(mark, ev)
        time.sleep(2.0)  # ten probe rounds of garbage + a valid 200
        self.assertEqual(self.state('peer'), 'up', self.diag())
        downs = [e for e in self.f.events(50) if e['id'] > mark and e['backend'] == 'peer']
        self.assertEqual(downs, [], 'peer flapped while garbage preceded valid replies')
        self.assertEqual(self.f.addrs(POOL), {PEER})

    def test_matching_reply_decides_by_alive_codes(self):
        self.wait_state('lenient', 'up', 'ok')
        self.peer.mode = 'wrong_ok_then_503'
        self.wait_state('peer', 'down', 'wrong_ok_then_503')
        self.wait(lambda: self.f.addrs(POOL) == {BACKUP}, '%s answers the backup' % POOL)
        st = self.f.backend_status('peer')
        self.assertRegex(st['last_error'] or '', '503', st)
        # lenient (alive codes 200-599) takes the same 503 as alive; give it time to flip
        # if it were going to.
        time.sleep(1.0)
        self.assertEqual(self.state('lenient'), 'up', self.diag())
        self.assertFalse([e for e in self.f.events(50)
                          if e['backend'] == 'lenient' and e['to'] == 'down'], self.diag())


if __name__ == '__main__':
    unittest.main(verbosity=2)
