"""Publication never waits on SQLite; edits are applied as changes.

fodns serves a small zone `persist.test.` whose `pool.persist.test. A` has two
members, 192.0.2.1 governed by backend `a` and 192.0.2.2 by backend `b`: TCP
probes (100 ms, fall 1, rise 1) against listeners this test runs on 127.0.0.1.
"Killing" a backend closes its listener (connection refused). AXFR is allowed
from 127.0.0.1. Claims:

1. Locked database: another process (python sqlite3) holds BEGIN IMMEDIATE for
   15 s. Killing `a` still takes 192.0.2.1 out of the answer as fast as without
   the lock (within 1 s of the unlocked time, and far below the 15 s lock); the
   SOA serial moves, and AXFR at the new serial carries the new content. The
   event is not in the database while the lock is held and is there once it is
   released; the stored serial catches up with the served one. The log says
   "cannot write the database" once (no other error line) and "database
   writable again" once.
2. Crash during queued writes: with the lock held, `a` goes down and up again
   (two serials served, none written), then fodns is killed with SIGKILL and
   the lock released. The restarted fodns serves a serial above every serial
   served before, and no serial was ever seen by AXFR with two contents.
3. Edits are applied as changes: among 300 zones, `record add` in one is served
   within 1 s of the command's exit, and the log's "zones reloaded" line says one
   zone was read (changed_zones=1), not 300.
4. Full disk: fodns runs with its database on a 4 MiB tmpfs made in a mount
   namespace of the test's own (`unshare -m`), which the test then fills. A kill
   still moves the answer and the serial; the log says "cannot write the
   database" once (and no other error line), while the backend flaps; after the
   filler is removed the events are written and the stored serial catches up. Skipped,
   with the reason, when `unshare -m` or mounting a tmpfs is not possible.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fodns_harness as h  # noqa: E402
import xfr_client as x  # noqa: E402

ZONE = 'persist.test.'
POOL = 'pool.persist.test.'
PROBE = ['--probe', 'tcp', '--interval', '100ms', '--timeout', '100ms', '--rise', '1', '--fall', '1']
ZONE_TEXT = """$ORIGIN persist.test.
$TTL 60
@ SOA ns1 hostmaster 1000 3600 600 86400 30
@ NS ns1
ns1 A 192.0.2.53
"""
LOCK_S = 15


class DbLock:
    """Another process holding the database's write lock (BEGIN IMMEDIATE)."""

    def __init__(self, db, seconds):
        code = ('import sqlite3, sys, time\n'
                'c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)\n'
                'c.execute("BEGIN IMMEDIATE")\n'
                'print("locked", flush=True)\n'
                'time.sleep(float(sys.argv[2]))\n'
                'c.execute("ROLLBACK")\n')
        self.proc = subprocess.Popen([sys.executable, '-c', code, db, str(seconds)],
                                     stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if line.strip() != 'locked':
            raise RuntimeError('the lock holder did not take the lock')
        self.taken = time.monotonic()

    def release(self):
        if self.proc.poll() is None:
            self.proc.kill()  # the connection closes: SQLite rolls the transaction back
        self.proc.wait(10)


def make_fodns(test, zones_extra=0):
    f = h.FailoverFodns(zones=[], http=False)
    path = os.path.join(f.tmp, 'persist.test.zone')
    with open(path, 'w') as fh:
        fh.write(ZONE_TEXT)
    f.zones = [(ZONE, path)]
    for i in range(zones_extra):
        p = os.path.join(f.tmp, 'z%d.zone' % i)
        with open(p, 'w') as fh:
            fh.write(ZONE_TEXT.replace('persist.test.', 'z%d.test.' % i))
        f.zones.append(('z%d.test.' % i, p))
    # Failures carry the server log in their messages; FODNS_E2E_KEEP=1 keeps the files.
    test.addCleanup(f.cleanup)
    return f


def configure(f, a, b):
    f.import_zones()
    for name, lst in (('a', a), ('b', b)):
        f.cli('backend', 'add', name, '--address', '127.0.0.1', '--port', str(lst.port), *PROBE)
    f.cli('record', 'add', POOL, '20', 'A', '192.0.2.1', '--backend', 'a')
    f.cli('record', 'add', POOL, '20', 'A', '192.0.2.2', '--backend', 'b')
    f.cli('zone', 'set', ZONE, '--allow-transfer', '127.0.0.1/32')


def axfr(f):
    t = x.transfer('127.0.0.1', f.port, ZONE)
    if not t.complete:
        raise AssertionError('AXFR incomplete: %r' % t)
    content = frozenset(r for r in t.rrset() if r[2] != 'SOA')
    return t.soa_serials[0], content


def full_log(f):
    """The server's whole stderr (log_text() keeps only the last 8000 characters)."""
    with open(f.stderr_path, errors='replace') as fh:
        return fh.read()


def stored_serial(f):
    for z in f.status()['zones']:
        if z['name'] == ZONE:
            return z['serial']
    return None


def event_count(f, backend, to_state):
    return sum(1 for e in f.events() if e['backend'] == backend and e['to'] == to_state)


def time_until_pool(f, want, timeout=10.0):
    val, secs = h.wait_for(lambda: f.addrs(POOL) == want, timeout=timeout, interval=0.01)
    return secs if val else None


class PersistTest(unittest.TestCase):
    def setUp(self):
        self.a = h.TcpBackend()
        self.b = h.TcpBackend()
        self.addCleanup(self.a.close)
        self.addCleanup(self.b.close)

    def start(self, f):
        f.serve()
        got, _ = h.wait_for(lambda: f.addrs(POOL) == {'192.0.2.1', '192.0.2.2'}, timeout=10)
        self.assertTrue(got, 'both members served at start\n' + f.log_text())

    def test_1_locked_database(self):
        f = make_fodns(self)
        configure(f, self.a, self.b)
        self.start(f)
        # Without a lock, for comparison.
        self.a.close()
        free_s = time_until_pool(f, {'192.0.2.2'})
        self.assertIsNotNone(free_s, 'a left the answer without a lock')
        self.a.open()
        self.assertIsNotNone(time_until_pool(f, {'192.0.2.1', '192.0.2.2'}), 'a came back')
        h.wait_for(lambda: stored_serial(f) == f.soa_serial(ZONE), timeout=5)
        ups_before = event_count(f, 'a', 'up')
        downs_before = event_count(f, 'a', 'down')
        serial0 = f.soa_serial(ZONE)

        lock = DbLock(f.db, LOCK_S)
        self.addCleanup(lock.release)
        self.a.close()
        locked_s = time_until_pool(f, {'192.0.2.2'})
        self.assertIsNotNone(locked_s, 'a left the answer with the lock held\n' + f.log_text())
        self.assertLess(locked_s, free_s + 1.0, (locked_s, free_s))
        self.assertLess(locked_s, 3.0)
        serial1 = f.soa_serial(ZONE)
        self.assertGreater(serial1, serial0, 'the serial moved under the lock')
        s, content = axfr(f)
        self.assertEqual(s, serial1)
        pool = {r[3] for r in content if r[0] == POOL}
        self.assertEqual(pool, {'192.0.2.2'}, 'AXFR at the new serial has the new content')
        time.sleep(1.5)  # several write attempts (one a second) while locked
        self.assertLess(time.monotonic() - lock.taken, LOCK_S - 2, 'still locked')
        self.assertEqual(event_count(f, 'a', 'down'), downs_before, 'queued, not written')
        self.assertNotEqual(stored_serial(f), serial1)
        lock.release()
        got, _ = h.wait_for(lambda: event_count(f, 'a', 'down') == downs_before + 1, timeout=5)
        self.assertTrue(got, 'the queued event was written after the lock\n' + f.log_text())
        got, _ = h.wait_for(lambda: stored_serial(f) == serial1, timeout=5)
        self.assertTrue(got, 'the stored serial caught up')
        self.assertEqual(event_count(f, 'a', 'up'), ups_before)
        log = full_log(f)
        self.assertEqual(log.count('cannot write the database'), 1, log)
        self.assertEqual(log.count('level=error'), 1, log)
        self.assertEqual(log.count('database writable again'), 1, log)

    def test_2_crash_during_queued_writes(self):
        f = make_fodns(self)
        configure(f, self.a, self.b)
        self.start(f)
        seen = {}  # serial -> content, from every AXFR

        def observe():
            s, content = axfr(f)
            if s in seen:
                self.assertEqual(seen[s], content, 'two contents under serial %d' % s)
            seen[s] = content
            return s

        first = observe()
        lock = DbLock(f.db, LOCK_S)
        self.addCleanup(lock.release)
        self.a.close()
        self.assertIsNotNone(time_until_pool(f, {'192.0.2.2'}))
        s1 = observe()
        self.a.open()
        self.assertIsNotNone(time_until_pool(f, {'192.0.2.1', '192.0.2.2'}))
        s2 = observe()
        self.assertTrue(first < s1 < s2, (first, s1, s2))
        f.proc.send_signal(signal.SIGKILL)
        f.proc.wait(5)
        f.stop()
        lock.release()
        # The stored serial never saw s1 or s2.
        self.assertLess(stored_serial(f), s1)
        self.a.close()  # a different content after the restart than before the crash
        f.serve()
        got, _ = h.wait_for(lambda: f.addrs(POOL) == {'192.0.2.2'}, timeout=10)
        self.assertTrue(got, f.log_text())
        s3 = observe()
        self.assertGreater(s3, s2, 'the restart began above every serial served before')
        self.a.open()
        self.assertIsNotNone(time_until_pool(f, {'192.0.2.1', '192.0.2.2'}))
        s4 = observe()
        self.assertGreater(s4, s3)

    def test_3_edit_among_many_zones(self):
        f = make_fodns(self, zones_extra=300)
        f.import_zones()
        f.serve()
        deadline = time.monotonic()
        f.cli('record', 'add', 'new.z150.test.', '60', 'A', '192.0.2.77')
        deadline = time.monotonic()
        m, secs = h.wait_for(lambda: f.addrs('new.z150.test.') == {'192.0.2.77'}, timeout=5,
                             interval=0.005)
        self.assertTrue(m, f.log_text())
        self.assertLess(secs, 1.0)
        got, _ = h.wait_for(lambda: re.search(r'zones reloaded" changed_zones=1 ', full_log(f)),
                            timeout=3)
        self.assertTrue(got, f.log_text())
        self.assertEqual(full_log(f).count('msg="zones loaded"'), 1, 'the edit re-read every zone')
        # Another zone's records still answer, the removed record goes.
        self.assertEqual(f.addrs('ns1.z7.test.'), {'192.0.2.53'})
        f.cli('record', 'rm', 'new.z150.test.', 'A')
        got, _ = h.wait_for(lambda: f.query('new.z150.test.', 'A').rcode == h.NXDOMAIN, timeout=3)
        self.assertTrue(got)
        serial_z4 = f.soa_serial('z4.test.')
        f.cli('zone', 'rm', 'z3.test.')
        got, _ = h.wait_for(lambda: f.query('ns1.z3.test.', 'A').rcode == h.REFUSED, timeout=3)
        self.assertTrue(got, 'a removed zone is no longer served')
        self.assertEqual(f.addrs('ns1.z4.test.'), {'192.0.2.53'})
        # Removing a zone re-reads every zone; the others keep their serials (no NOTIFY storm).
        self.assertEqual(full_log(f).count('msg="zones loaded"'), 2)
        self.assertEqual(f.soa_serial('z4.test.'), serial_z4)
        del deadline

    def test_4_full_disk(self):
        why = full_disk_unavailable()
        if why:
            self.skipTest(why)
        cp = subprocess.run(['unshare', '-m', '--propagation', 'private', sys.executable,
                             os.path.abspath(__file__), 'FullDiskInner'],
                            capture_output=True, text=True, timeout=240, env=os.environ)
        sys.stderr.write(cp.stderr[-6000:])
        if 'SKIP:' in cp.stdout:
            self.skipTest(cp.stdout.split('SKIP:', 1)[1].strip())
        self.assertEqual(cp.returncode, 0, cp.stdout + cp.stderr[-6000:])


def full_disk_unavailable():
    if os.geteuid() != 0:
        return 'not root: the full-disk case mounts a tmpfs in its own mount namespace'
    if shutil.which('unshare') is None:
        return '`unshare` (util-linux) is not installed'
    cp = subprocess.run(['unshare', '-m', 'true'], capture_output=True, text=True)
    if cp.returncode != 0:
        return '`unshare -m` fails here: %s' % cp.stderr.strip()
    return None


class FullDiskInner(unittest.TestCase):
    """Runs inside `unshare -m`: the tmpfs exists only for this process tree."""

    def test_full_disk(self):
        a, b = h.TcpBackend(), h.TcpBackend()
        self.addCleanup(a.close)
        self.addCleanup(b.close)
        f = make_fodns(self)
        mnt = os.path.join(f.tmp, 'small')
        os.makedirs(mnt)
        cp = subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mnt],
                            capture_output=True, text=True)
        if cp.returncode != 0:
            print('SKIP: cannot mount a tmpfs: %s' % cp.stderr.strip())
            return
        self.addCleanup(lambda: subprocess.run(['umount', '-l', mnt]))
        f.db = os.path.join(mnt, 'fodns.db')
        configure(f, a, b)
        f.serve()
        got, _ = h.wait_for(lambda: f.addrs(POOL) == {'192.0.2.1', '192.0.2.2'}, timeout=10)
        self.assertTrue(got)
        h.wait_for(lambda: stored_serial(f) == f.soa_serial(ZONE), timeout=5)
        downs = event_count(f, 'a', 'down')
        serial0 = f.soa_serial(ZONE)
        filler = os.path.join(mnt, 'filler')
        with open(filler, 'wb', buffering=0) as fh:
            for chunk in (1 << 20, 65536, 4096, 512, 1):  # to the last byte
                try:
                    while True:
                        fh.write(b'\0' * chunk)
                except OSError:
                    pass
        a.close()
        self.assertIsNotNone(time_until_pool(f, {'192.0.2.2'}), f.log_text())
        self.assertGreater(f.soa_serial(ZONE), serial0)
        got, _ = h.wait_for(lambda: 'cannot write the database' in full_log(f), timeout=5)
        self.assertTrue(got, 'the full disk was noticed\n' + f.log_text())
        # Flapping: more changes, still one log line for the episode.
        a.open()
        self.assertIsNotNone(time_until_pool(f, {'192.0.2.1', '192.0.2.2'}))
        a.close()
        self.assertIsNotNone(time_until_pool(f, {'192.0.2.2'}))
        serial2 = f.soa_serial(ZONE)
        time.sleep(2)
        self.assertEqual(full_log(f).count('cannot write the database'), 1, f.log_text())
        # Nothing else says it again either (at bb0960f: 36 lines in 8 s).
        self.assertEqual(full_log(f).count('level=error'), 1, f.log_text())
        os.unlink(filler)
        got, _ = h.wait_for(lambda: event_count(f, 'a', 'down') >= downs + 2, timeout=5)
        self.assertTrue(got, 'queued events written once there is room\n' + f.log_text())
        got, _ = h.wait_for(lambda: stored_serial(f) == serial2, timeout=5)
        self.assertTrue(got, 'the stored serial caught up')
        self.assertEqual(full_log(f).count('database writable again'), 1, f.log_text())


if __name__ == '__main__':
    if len(sys.argv) > 1 and sys.argv[1] == 'FullDiskInner':
        unittest.main(argv=[sys.argv[0], 'FullDiskInner'], verbosity=2)
    else:
        unittest.main(argv=[sys.argv[0], 'PersistTest'], verbosity=2)
