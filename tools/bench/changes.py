#!/usr/bin/env python3
"""Benchmark (not a test): what a change costs, at any zone size and zone count.

Prints the table of issue 11 ("Changes cost what changed"), measured side by
side in one run against the fodns binary given:

  flip publish ms   the `ms=` of fodns's `snapshot published reason="backend
                    health changed"` line, median and max over --flips flips of
                    one TCP-probed backend, in a 100-record zone, a --big zone,
                    and one zone among --zones zones; and a backend that governs
                    a record in every one of --zones zones
  e2e failover      the backend's listener closed -> the answer moved, seen by a
                    5 ms query loop, 100 ms probes, fall 1 (--big zone)
  CLI edit -> served `fodns record add` exit -> the new record answered
                    (--big zone; among --zones zones); Knot DNS's knotc
                    zone-begin/zone-set/zone-commit on the same --big zone
  lock held         e2e failover in the 100-record zone while another process
                    holds the database's write lock (BEGIN IMMEDIATE), beside
                    the same without the lock

Backends are TCP listeners on 127.0.0.1 (interval 100 ms, timeout 100 ms,
rise 1, fall 1); "down" closes the listener (connection refused). The many-zone
databases are written with SQL from a 20-record template zone imported by
fodns (one import of 10,000 files would take minutes today).
"""

import argparse
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', '..', 'test', 'integration'))
import fodns_harness as h  # noqa: E402

PROBE = ['--probe', 'tcp', '--interval', '100ms', '--timeout', '100ms', '--rise', '1', '--fall', '1']
ORIGIN = 'sipprovider.example.'
GOV = 'sip.' + ORIGIN
UP = {'192.0.2.11', '192.0.2.12'}
DOWN = {'192.0.2.12'}


def log(msg):
    sys.stderr.write('changes-bench: %s\n' % msg)
    sys.stderr.flush()


def make_zone(path, records):
    subprocess.run([sys.executable, os.path.join(HERE, 'make_zone.py'), '--origin', ORIGIN,
                    '--records', str(records), '--zone', path], check=True)


class Bench:
    def __init__(self, args):
        self.args = args
        self.g, self.k = h.TcpBackend(), h.TcpBackend()

    def fodns(self, zone_file=None):
        f = h.FailoverFodns(zones=[], http=False)
        f.exe = os.path.abspath(self.args.fodns)
        if zone_file:
            f.zones = [(ORIGIN, zone_file)]
        return f

    def add_backends(self, f):
        f.cli('backend', 'add', 'g', '--address', '127.0.0.1', '--port', str(self.g.port), *PROBE)
        f.cli('backend', 'add', 'k', '--address', '127.0.0.1', '--port', str(self.k.port), *PROBE)

    def govern(self, f, owner=GOV):
        f.cli('record', 'set-backend', owner, 'A', '192.0.2.11', '--backend', 'g')
        f.cli('record', 'set-backend', owner, 'A', '192.0.2.12', '--backend', 'k')

    def many_zones(self, f, zones, govern_all):
        """`zones` zones z<i>.many. of 20 records; sip.<zone> A governed in z0 or all."""
        tmpl = os.path.join(f.tmp, 'tmpl.zone')
        with open(tmpl, 'w') as fh:
            fh.write('$ORIGIN z0.many.\n$TTL 300\n@ SOA ns1 hostmaster 1 3600 600 86400 30\n'
                     '@ NS ns1\nns1 A 192.0.2.53\nsip 30 A 192.0.2.11\nsip 30 A 192.0.2.12\n')
            for i in range(15):
                fh.write('h%d A 10.0.0.%d\n' % (i, i + 1))
        f.cli('zone', 'import', tmpl)
        self.add_backends(f)
        self.govern(f, 'sip.z0.many.')
        db = sqlite3.connect(f.db)
        with db:
            tid = db.execute("SELECT id FROM zones WHERE name = 'z0.many.'").fetchone()[0]
            rows = db.execute('SELECT owner, type, ttl, rdata, backend_id, priority FROM records '
                              'WHERE zone_id = ?', (tid,)).fetchall()
            now = int(time.time())
            for i in range(1, zones):
                name = 'z%d.many.' % i
                cur = db.execute('INSERT INTO zones (name, serial, created_at, updated_at) '
                                 'VALUES (?, 1, ?, ?)', (name, now, now))
                zid = cur.lastrowid
                db.executemany(
                    'INSERT INTO records (zone_id, owner, type, ttl, rdata, backend_id, priority) '
                    'VALUES (?, ?, ?, ?, ?, ?, ?)',
                    [(zid, o.replace('z0.many.', name), t, ttl, rd,
                      b if (govern_all or not b) else None, p) for o, t, ttl, rd, b, p in rows])
        db.close()

    def flips(self, f, owner, n):
        """Flips backend g n times; returns the ms= of each health publication."""
        out = []
        for i in range(n):
            want = DOWN if i % 2 == 0 else UP
            before = len(re.findall(r'reason="backend health changed".* ms=([0-9.]+)', f.log_text()))
            (self.g.close if i % 2 == 0 else self.g.open)()
            ok, _ = h.wait_for(lambda: f.addrs(owner) == want, timeout=30, interval=0.005)
            if not ok:
                raise RuntimeError('flip %d did not show in %s\n%s' % (i, owner, f.log_text()))
            h.wait_for(lambda: len(re.findall(r'reason="backend health changed".* ms=([0-9.]+)',
                                              f.log_text())) > before, timeout=5)
            ms = re.findall(r'reason="backend health changed".* ms=([0-9.]+)', f.log_text())
            out += [float(v) for v in ms[before:]]
            time.sleep(0.3)
        if self.g.sock is None:
            self.g.open()
        return out

    def failover_s(self, f, owner, n):
        out = []
        for i in range(n):
            ok, _ = h.wait_for(lambda: f.addrs(owner) == UP, timeout=30)
            time.sleep(0.3)
            t0 = time.monotonic()
            self.g.close()
            ok, _ = h.wait_for(lambda: f.addrs(owner) == DOWN, timeout=30, interval=0.005)
            if ok:
                out.append(time.monotonic() - t0)
            self.g.open()
        return out

    def edit_s(self, f, zone, n):
        out = []
        for i in range(n):
            name = 'bench%d-%d.%s' % (os.getpid(), i, zone)
            f.cli('record', 'add', name, '60', 'A', '192.0.2.%d' % (i + 1))
            t0 = time.monotonic()
            ok, _ = h.wait_for(lambda: f.addrs(name) == {'192.0.2.%d' % (i + 1)},
                                  timeout=60, interval=0.005)
            if ok:
                out.append(time.monotonic() - t0)
        return out


def stats_ms(values, scale=1.0):
    if not values:
        return 'n/a'
    v = sorted(x * scale for x in values)
    return '%.1f median [%.1f..%.1f] n=%d' % (statistics.median(v), v[0], v[-1], len(v))


def knot_edit_s(zone_file, n):
    if not h.knotd_binary() or not shutil.which('knotc'):
        return None
    k = h.Knot(zones=[(ORIGIN, zone_file)])
    try:
        k.start()
        conf = os.path.join(k.tmp, 'knot.conf')
        out = []
        for i in range(n):
            name = 'knot%d.%s' % (i, ORIGIN)
            t0 = time.monotonic()
            for cmd in (['zone-begin', ORIGIN], ['zone-set', ORIGIN, name, '60', 'A', '192.0.2.%d' % (i + 1)],
                        ['zone-commit', ORIGIN]):
                subprocess.run(['knotc', '-c', conf] + cmd, check=True, capture_output=True, timeout=120)
            ok, _ = h.wait_for(lambda: h.query('127.0.0.1', k.port, name, 'A') is not None and
                               h.query('127.0.0.1', k.port, name, 'A').answer, timeout=60, interval=0.005)
            if ok:
                out.append(time.monotonic() - t0)
        return out
    finally:
        k.cleanup()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--fodns', required=True)
    ap.add_argument('--big', type=int, default=1000000, help='records of the big zone')
    ap.add_argument('--zones', type=int, default=10000, help='zones of the many-zone cases')
    ap.add_argument('--flips', type=int, default=10)
    ap.add_argument('--edits', type=int, default=5)
    ap.add_argument('--lock-s', type=float, default=15.0)
    args = ap.parse_args()
    b = Bench(args)
    work = tempfile.mkdtemp(prefix='fodns-changes-')
    rows = []
    try:
        small, big = os.path.join(work, 'small.zone'), os.path.join(work, 'big.zone')
        make_zone(small, 100)
        make_zone(big, args.big)

        log('100-record zone: flips, failover with and without a held lock')
        f = b.fodns(small)
        f.import_zones()
        b.add_backends(f)
        b.govern(f)
        f.serve()
        rows.append(('flip publish ms, 100-record zone', stats_ms(b.flips(f, GOV, args.flips))))
        free = b.failover_s(f, GOV, 5)
        lock = subprocess.Popen([sys.executable, '-c',
                                 'import sqlite3,sys,time\nc=sqlite3.connect(sys.argv[1],isolation_level=None,timeout=60)\n'
                                 'c.execute("BEGIN IMMEDIATE")\nprint("locked",flush=True)\ntime.sleep(float(sys.argv[2]))',
                                 f.db, str(args.lock_s)], stdout=subprocess.PIPE, text=True)
        lock.stdout.readline()
        held = b.failover_s(f, GOV, 3)  # well within the lock: each takes about a second
        lock.kill()
        lock.wait()
        rows.append(('e2e failover ms, 100-record zone, no lock', stats_ms(free, 1000)))
        rows.append(('e2e failover ms, 100-record zone, write lock held by another process', stats_ms(held, 1000)))
        f.cleanup()

        log('%d-record zone' % args.big)
        f = b.fodns(big)
        f.import_zones()
        b.add_backends(f)
        b.govern(f)
        f.serve(deadline_s=600)
        rows.append(('flip publish ms, %d-record zone' % args.big, stats_ms(b.flips(f, GOV, args.flips))))
        rows.append(('e2e failover ms, %d-record zone (100 ms probes, fall 1)' % args.big,
                     stats_ms(b.failover_s(f, GOV, 5), 1000)))
        rows.append(('CLI edit -> served ms, %d-record zone' % args.big,
                     stats_ms(b.edit_s(f, ORIGIN, args.edits), 1000)))
        f.cleanup()

        for govern_all in (False, True):
            log('%d zones, %s' % (args.zones, 'one backend governs a record in each' if govern_all
                                  else 'a governed record in one'))
            f = b.fodns()
            f.zones = [('z0.many.', None)]
            b.many_zones(f, args.zones, govern_all=govern_all)
            f.serve(deadline_s=600)
            if govern_all:
                rows.append(('flip publish ms, backend in all %d zones' % args.zones,
                             stats_ms(b.flips(f, 'sip.z%d.many.' % (args.zones - 1), args.flips))))
            else:
                rows.append(('flip publish ms, 1 zone of %d' % args.zones,
                             stats_ms(b.flips(f, 'sip.z0.many.', args.flips))))
                rows.append(('CLI edit -> served ms, 1 zone of %d' % args.zones,
                             stats_ms(b.edit_s(f, 'z%d.many.' % (args.zones // 2), args.edits), 1000)))
            f.cleanup()

        log('Knot DNS: knotc edit on the %d-record zone' % args.big)
        kn = knot_edit_s(big, args.edits)
        rows.append(('knotc zone-begin/set/commit -> served ms, %d-record zone' % args.big,
                     stats_ms(kn, 1000) if kn is not None else 'knotd/knotc not installed'))
    finally:
        b.g.close()
        b.k.close()
        shutil.rmtree(work, ignore_errors=True)
    print('| case | fodns (%s) |' % os.path.basename(args.fodns))
    print('|---|---|')
    for name, val in rows:
        print('| %s | %s |' % (name, val))


if __name__ == '__main__':
    main()
