#!/usr/bin/env python3
"""Publish time of a health flip (issue 11 items 1, 4, 5), on loopback only.

For each case a database is made, `fodns serve` started, and one backend (tcp
probe on a TCP listener of this script, interval 100ms, timeout 100ms, rise 1,
fall 1) flipped --flips times down and up by closing and reopening its
listener. Each flip's publish time is the `ms=` of the log line
`snapshot published reason="backend health changed"`. Cases:

  small  a 100-record zone (make_zone.py --records 100), the flipping backend
         governs a member of `gov.ORIGIN A` (a second, steady backend the other)
  big    the same in a 1,000,000-record zone; also VmRSS of the server with
         those two governed records vs the same zone ungoverned, and start ->
         first answer (fodns, and knotd on the same zone file when installed)
  many   10,000 zones of 26 records; the backend governs one record in one zone
  (--transfers: that zone allows AXFR/IXFR from 127.0.0.1, so each flip also
  makes a journal step)
  all    10,000 zones of 26 records; the backend governs a member of `gov.ZONE A`
         in every zone (the steady backend the other), so each flip changes
         every zone; the published line must say changed_zones=10000

Prints one table: case, flips, p50/p99/max publish ms; the part of it spent
writing serials and events to SQLite (`db_ms=`), and the rest. Stdlib only.
"""

import argparse
import os
import re
import shutil
import socket
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
PUBLISH = re.compile(r'snapshot published" reason="backend health changed".*? ms=([0-9.]+)(?: db_ms=([0-9.]+))?')


def log(msg):
    sys.stderr.write('flip-bench: %s\n' % msg)
    sys.stderr.flush()


def cli(args, db, *argv):
    cp = subprocess.run([args.fodns, '--db', db] + list(argv), capture_output=True, text=True)
    if cp.returncode != 0:
        raise RuntimeError('fodns %s: %s' % (' '.join(argv), cp.stderr))
    return cp


def make_zone(work, records, origin):
    path = os.path.join(work, '%s%d.zone' % (origin, records))
    subprocess.run([sys.executable, os.path.join(HERE, 'make_zone.py'), '--origin', origin,
                    '--records', str(records), '--zone', path], check=True, capture_output=True)
    return path


def copy_zones(db, count):
    """Copies zone 1 (and its records) into `count - 1` more zones z1.., with SQL:
    importing 10,000 files one CLI call each takes minutes."""
    con = sqlite3.connect(db)
    (name,) = con.execute('SELECT name FROM zones WHERE id = 1').fetchone()
    rows = con.execute('SELECT owner, type, ttl, rdata FROM records WHERE zone_id = 1').fetchall()
    now = int(time.time())
    for i in range(1, count):
        new = 'z%05d.%s' % (i, name.split('.', 1)[1])
        cur = con.execute('INSERT INTO zones (name, serial, created_at, updated_at) VALUES (?, 1, ?, ?)',
                          (new, now, now))
        zid = cur.lastrowid
        con.executemany('INSERT INTO records (zone_id, owner, type, ttl, rdata) VALUES (?, ?, ?, ?, ?)',
                        [(zid, o[:-len(name)] + new, t, ttl, rd) for o, t, ttl, rd in rows])
    con.commit()
    con.close()


def govern_all(db):
    """`gov.ZONE A` in every zone: one member governed by `flip`, one by `steady`,
    so that each flip changes what every zone serves."""
    con = sqlite3.connect(db)
    zones = con.execute('SELECT id, name FROM zones').fetchall()
    for backend, last_byte in (('flip', 210), ('steady', 211)):
        (bid,) = con.execute('SELECT id FROM backends WHERE name = ?', (backend,)).fetchone()
        con.executemany('INSERT INTO records (zone_id, owner, type, ttl, rdata, backend_id, priority) '
                        'VALUES (?, ?, 1, 20, ?, ?, 0)',
                        [(zid, 'gov.' + name, bytes([192, 0, 2, last_byte]), bid) for zid, name in zones])
    con.commit()
    con.close()


class Server:
    def __init__(self, args, db, work, apex):
        self.port = h.free_port(False)
        self.err = os.path.join(work, 'serve-%d.log' % self.port)
        argv = [args.fodns, '--db', db, 'serve', '--listen', '127.0.0.1:%d' % self.port,
                '--threads', '1', '--http', 'none']
        self.t0 = time.monotonic()
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=open(self.err, 'w'),
                                     stdin=subprocess.DEVNULL, cwd=work)
        if not h.wait_answering('127.0.0.1', self.port, apex, 600.0, self.proc):
            raise RuntimeError('fodns did not come up:\n' + open(self.err).read()[-3000:])
        self.ready_s = time.monotonic() - self.t0

    def publishes(self):
        with open(self.err, errors='replace') as f:
            return [(float(m.group(1)), float(m.group(2) or 0)) for m in PUBLISH.finditer(f.read())]

    def rss_mib(self):
        with open('/proc/%d/status' % self.proc.pid) as f:
            for line in f:
                if line.startswith('VmRSS:'):
                    return int(line.split()[1]) / 1024.0
        return None

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)


def knot_start(work, origin, zone):
    """Seconds from starting knotd on `zone` to its first answer; None without knotd."""
    knotd = h.knotd_binary()
    if not knotd:
        return None
    k = h.Knot(zones=[(origin, zone)])
    for d in ('run', 'db', 'storage'):
        os.makedirs(os.path.join(k.tmp, d), exist_ok=True)
    k.port = h.free_port(False)
    conf = os.path.join(k.tmp, 'knot.conf')
    with open(conf, 'w') as f:
        f.write(h.KNOT_CONF.format(tmp=k.tmp, port=k.port, zones='  - domain: %s\n    file: \"%s\"\n'
                                   % (origin, os.path.abspath(zone))))
    t = time.monotonic()
    k._spawn([knotd, '-c', conf])
    up = h.wait_answering('127.0.0.1', k.port, origin, 600.0, k.proc)
    took = time.monotonic() - t
    k.cleanup()
    return took if up else None


def flip(server, listener, flips):
    """Flips the backend down and up `flips` times; returns the publish ms of each."""
    times = []
    for i in range(2 * flips):
        before = len(server.publishes())
        if listener.sock is not None:
            listener.close()
        else:
            listener.open()
        deadline = time.monotonic() + 30
        while len(server.publishes()) == before and time.monotonic() < deadline:
            time.sleep(0.02)
        got = server.publishes()
        if len(got) == before:
            raise RuntimeError('no publish after flip %d' % i)
        times.append(got[before])
        time.sleep(0.15)
    listener.close()
    return times


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def run_case(args, work, case):
    db = os.path.join(work, case + '.db')
    for stale in (db, db + '-wal', db + '-shm'):  # a --work dir used before
        if os.path.exists(stale):
            os.unlink(stale)
    origin = 'flip.example.'
    extra = {}
    if case in ('small', 'big'):
        records = 100 if case == 'small' else 1000000
        zone = make_zone(work, records, origin)
        t = time.monotonic()
        cli(args, db, 'zone', 'import', zone)
        log('%s: imported %d records in %.1f s' % (case, records, time.monotonic() - t))
        if case == 'big':
            plain = os.path.join(work, 'plain.db')
            shutil.copy(db, plain)
            s = Server(args, plain, work, origin)
            time.sleep(1)
            extra['rss_ungoverned_mib'] = s.rss_mib()
            extra['start_s'] = s.ready_s
            s.stop()
            knot_s = knot_start(work, origin, zone)
            if knot_s is not None:
                extra['knot_start_s'] = knot_s
    else:
        zone = make_zone(work, 20, 'z00000.' + origin)
        cli(args, db, 'zone', 'import', zone)
        copy_zones(db, args.zones)
        origin = 'z00000.' + origin
    lst, steady = h.TcpBackend(), h.TcpBackend()
    cli(args, db, 'backend', 'add', 'flip', '--address', '127.0.0.1', '--port', str(lst.port), *PROBE)
    cli(args, db, 'backend', 'add', 'steady', '--address', '127.0.0.1', '--port', str(steady.port), *PROBE)
    if case == 'all':
        govern_all(db)
    else:
        target = origin if case != 'many' else 'z%05d.flip.example.' % (args.zones // 2)
        cli(args, db, 'record', 'add', 'gov.' + target, '20', 'A', '192.0.2.210', '--backend', 'flip')
        cli(args, db, 'record', 'add', 'gov.' + target, '20', 'A', '192.0.2.211', '--backend', 'steady')
        if args.transfers:
            cli(args, db, 'zone', 'set', target, '--allow-transfer', '127.0.0.1')
    s = Server(args, db, work, origin)
    time.sleep(0.5)
    if case == 'big':
        extra['rss_governed_mib'] = s.rss_mib()
        extra['start_governed_s'] = s.ready_s
    times = flip(s, lst, args.flips)
    s.stop()
    steady.close()
    return times, extra


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--fodns', required=True, help='fodns binary (release build)')
    ap.add_argument('--cases', default='small,big,many,all')
    ap.add_argument('--flips', type=int, default=20, help='down+up pairs per case')
    ap.add_argument('--zones', type=int, default=10000, help='zones in the many/all cases')
    ap.add_argument('--transfers', action='store_true',
                    help='the governed zone of small/big/many allows transfers (a journal step per flip)')
    ap.add_argument('--work', help='keep the databases and logs here')
    args = ap.parse_args()
    args.fodns = os.path.abspath(args.fodns)
    work = args.work or tempfile.mkdtemp(prefix='flip-bench-')
    os.makedirs(work, exist_ok=True)
    rows, extras = [], {}
    for case in args.cases.split(','):
        times, extra = run_case(args, work, case)
        extras.update(extra)
        ms = [t for t, _ in times]
        db = [d for _, d in times]
        # Without SQLite: what publication costs once serials and events are written behind.
        mem = [t - d for t, d in times]
        rows.append((case, len(ms), statistics.median(ms), pct(ms, 99), max(ms), statistics.median(db),
                     pct(db, 99), statistics.median(mem), pct(mem, 99)))
        log('%s: %s' % (case, ' '.join('%.1f/%.1f' % t for t in times)))
    print('%-6s %6s %8s %8s %8s %9s %9s %10s %10s' % ('case', 'flips', 'p50_ms', 'p99_ms', 'max_ms',
                                                     'db_p50', 'db_p99', 'nodb_p50', 'nodb_p99'))
    for r in rows:
        print('%-6s %6d %8.1f %8.1f %8.1f %9.1f %9.1f %10.1f %10.1f' % r)
    for k, v in sorted(extras.items()):
        print('%s %.2f' % (k, v))
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == '__main__':
    main()
