#!/usr/bin/env python3
"""Scale benchmark of fodns (driven by tools/bench/scale.sh; stdlib only).

The figures issue 3 and issue 4 ask for with many backends, on loopback only:

  setup  a database with N backends (default 10,000; sip-options over UDP,
         interval 1s, the CLI's default timeout/rise/fall/alive codes), each
         governing `bNNNNN.scale.example. A` (and through it the SRV
         `_sip._udp.bNNNNN.scale.example.`); backend 0 is made with the CLI,
         the others are copies of its row (10,000 CLI calls would take minutes).
         One sip_bulk_responder answers OPTIONS on 127.1.X.Y:5060 for all.
  (a)    the control loop keeps up: one probing server left alone for
         --a-seconds; deltas of fodns_probe_rounds_total, _skipped, _late,
         _missed, the schedule lag histogram, backends up, state changes
         (fodns_backend_failovers_total and rows added to `events`), probe
         results, and the CPU of the control loop (main thread).
  (b)    dnsperf QPS with probing on vs `--no-probes`, same database, same
         pinning, alternating trials (order swapped each trial): median of
         each and the ratio of medians; the (a) counters are also checked
         over every probing trial (under DNS load).
  (c)    /metrics scrape time and size: a few scrapes spaced past the render
         cache (curl -w timings).
  (d)    dnsperf QPS while /metrics is scraped every 100 ms (a pinned scraper
         process, fixed rate, keep-alive) vs no scraping, alternating trials on
         one probing server.

CPU layout (2-core machine): fodns with all its threads (--threads 1: one DNS
worker, the control loop, the HTTP thread) on --server-cpu (1); dnsperf, the
SIP responder and the scraper on --client-cpu (0). So every cycle the probes
or a scrape cost inside fodns is taken from the DNS worker: the worst case.
"""

import argparse
import http.client
import os
import random
import re
import resource
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ORIGIN = 'scale.example.'


def log(msg):
    sys.stderr.write('scale-bench: %s\n' % msg)
    sys.stderr.flush()


def addr_of(i):
    # 127.1.0.1 ... 127.1.39.250 for 10,000: no .0 or .255 host bytes.
    return '127.%d.%d.%d' % (1 + i // 62500, (i % 62500) // 250, i % 250 + 1)


def name_of(i):
    return 'b%05d' % i


def free_port():
    """A port free over UDP and TCP, below the ephemeral range: fodns binds its
    listeners after the start-up probe round, whose 10,000 connected UDP
    sockets take ephemeral ports, one of which was often the port picked here."""
    try:
        low = int(open('/proc/sys/net/ipv4/ip_local_port_range').read().split()[0])
    except (OSError, ValueError, IndexError):
        low = 32768
    for _ in range(1000):
        port = random.randrange(10000, max(low, 10001))
        if port in PORTS_GIVEN:
            continue
        try:
            for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                s = socket.socket(socket.AF_INET, kind)
                try:
                    s.bind(('127.0.0.1', port))
                finally:
                    s.close()
        except OSError:
            continue
        PORTS_GIVEN.add(port)
        return port
    raise SystemExit('scale-bench: no free port below the ephemeral range')


PORTS_GIVEN = set()


NICE = []  # ['nice', '-n', N] when --nice is set


def median(xs):
    return statistics.median(xs) if xs else float('nan')


# --- setup ---------------------------------------------------------------------------


def write_zone(path, n):
    with open(path, 'w') as f:
        f.write('%s 3600 IN SOA ns1.%s hostmaster.%s 1 3600 600 86400 20\n' % (ORIGIN, ORIGIN, ORIGIN))
        f.write('%s 3600 IN NS ns1.%s\n' % (ORIGIN, ORIGIN))
        f.write('ns1.%s 3600 IN A 127.0.0.1\n' % ORIGIN)
        for i in range(n):
            f.write('%s.%s 20 IN A %s\n' % (name_of(i), ORIGIN, addr_of(i)))
            f.write('_sip._udp.%s.%s 20 IN SRV 10 0 5060 %s.%s\n' % (name_of(i), ORIGIN, name_of(i), ORIGIN))


def write_queries(path, n, count=100000):
    rnd = random.Random(42)
    with open(path, 'w') as f:
        for _ in range(count):
            i = rnd.randrange(n)
            if rnd.random() < 0.5:
                f.write('%s.%s A\n' % (name_of(i), ORIGIN))
            else:
                f.write('_sip._udp.%s.%s SRV\n' % (name_of(i), ORIGIN))


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise SystemExit('scale-bench: %s failed (%d): %s' % (' '.join(cmd), r.returncode, r.stderr.strip()))
    return r.stdout


def make_db(fodns, work, n):
    db = os.path.join(work, 'fodns.db')
    zone = os.path.join(work, 'scale.zone')
    write_zone(zone, n)
    t0 = time.monotonic()
    run([fodns, '--db', db, 'zone', 'import', zone])
    # Backend 0 through the CLI, so that its row holds the CLI's defaults.
    run([fodns, '--db', db, 'backend', 'add', name_of(0), '--address', addr_of(0), '--probe', 'sip-options'])
    run([fodns, '--db', db, 'record', 'set-backend', '%s.%s' % (name_of(0), ORIGIN), 'A', addr_of(0),
         '--backend', name_of(0)])
    con = sqlite3.connect(db, timeout=30)
    cols = [r[1] for r in con.execute('PRAGMA table_info(backends)') if r[1] not in ('id', 'name', 'address')]
    collist = ', '.join(cols)
    con.executemany(
        'INSERT INTO backends (name, address, %s) SELECT ?, ?, %s FROM backends WHERE name = ?' % (collist, collist),
        [(name_of(i), addr_of(i), name_of(0)) for i in range(1, n)])
    # By record id: records_by_owner starts with zone_id, so an UPDATE by owner alone scans.
    ids = {o: rid for rid, o in con.execute('SELECT id, owner FROM records WHERE type = 1')}
    bids = {nm: bid for bid, nm in con.execute('SELECT id, name FROM backends')}
    prio = con.execute('SELECT priority FROM records WHERE id = ?', (ids['%s.%s' % (name_of(0), ORIGIN)],)).fetchone()[0]
    con.executemany('UPDATE records SET backend_id = ?, priority = ? WHERE id = ?',
                    [(bids[name_of(i)], prio, ids['%s.%s' % (name_of(i), ORIGIN)]) for i in range(1, n)])
    con.commit()
    got = con.execute('SELECT count(*) FROM records WHERE backend_id IS NOT NULL').fetchone()[0]
    row = con.execute('SELECT interval_ms, timeout_ms, rise, fall, transport FROM backends WHERE name = ?',
                      (name_of(0),)).fetchone()
    con.close()
    if got != n:
        raise SystemExit('scale-bench: %d governed records, expected %d' % (got, n))
    log('database: %d backends %s (interval_ms, timeout_ms, rise, fall, transport), %d governed A '
        '+ %d SRV, made in %.1f s' % (n, row, got, n, time.monotonic() - t0))
    return db


# --- processes -----------------------------------------------------------------------


class Server:
    """One `fodns serve`, pinned, with its own ports."""

    def __init__(self, args, db, work, probes, tag):
        self.args, self.db, self.probes, self.tag = args, db, probes, tag
        self.port = free_port()
        self.http = free_port()
        self.log = os.path.join(work, 'fodns-%s.log' % tag)
        cmd = NICE + ['taskset', '-c', str(args.server_cpu), args.fodns, '--db', db, 'serve',
               '--listen', '127.0.0.1:%d' % self.port, '--threads', str(args.threads),
               '--http', '127.0.0.1:%d' % self.http, '--log-level', 'warn']
        if not probes:
            cmd.append('--no-probes')
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=open(self.log, 'w'),
                                     stdin=subprocess.DEVNULL)
        self.pid = self.proc.pid

    def wait_ready(self, n, timeout=120):
        """Until it answers SOA and (when probing) every backend is up."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit('scale-bench: fodns (%s) exited: %s' % (self.tag, tail(self.log)))
            if dns_soa_ok(self.port):
                break
            time.sleep(0.1)
        else:
            raise SystemExit('scale-bench: fodns (%s) did not answer within %d s' % (self.tag, timeout))
        if self.args.control_cpu is not None:
            # Only the main thread (the control loop, tid == pid); the DNS
            # workers and the HTTP thread exist by now and keep --server-cpu.
            subprocess.run(['taskset', '-p', '-c', str(self.args.control_cpu), str(self.pid)],
                           check=True, stdout=subprocess.DEVNULL)
        if not self.probes:
            return
        while time.monotonic() < deadline:
            try:
                if scrape(self.http).up == n:
                    return
            except OSError:
                pass  # the HTTP listener starts after the DNS workers
            time.sleep(0.5)
        raise SystemExit('scale-bench: only %s of %d backends up after %d s' % (scrape(self.http).up, n, timeout))

    def switches(self):
        """Context switches of the main thread (the control loop): how often it wakes."""
        n = 0
        try:
            with open('/proc/%d/task/%d/status' % (self.pid, self.pid)) as f:
                for line in f:
                    if line.startswith(('voluntary_ctxt_switches', 'nonvoluntary_ctxt_switches')):
                        n += int(line.split()[1])
        except OSError:
            pass
        return n

    def thread_ticks(self):
        """{tid: utime+stime ticks} of every thread."""
        out = {}
        base = '/proc/%d/task' % self.pid
        for tid in os.listdir(base):
            try:
                with open('%s/%s/stat' % (base, tid)) as f:
                    rest = f.read().rsplit(')', 1)[1].split()
                out[int(tid)] = int(rest[11]) + int(rest[12])
            except (OSError, IndexError):
                pass
        return out

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def tail(path, n=10):
    try:
        with open(path) as f:
            return ''.join(f.readlines()[-n:])
    except OSError:
        return ''


def dns_soa_ok(port):
    # A minimal SOA query, id 0x1234, RD=0.
    q = b'\x12\x34\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00'
    for label in ORIGIN.rstrip('.').split('.'):
        q += bytes([len(label)]) + label.encode()
    q += b'\x00\x00\x06\x00\x01'
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.5)
    try:
        s.sendto(q, ('127.0.0.1', port))
        r = s.recv(4096)
        return len(r) > 4 and r[:2] == b'\x12\x34' and (r[3] & 0x0f) == 0
    except OSError:
        return False
    finally:
        s.close()


class Metrics:
    """The few figures of one /metrics scrape this benchmark needs."""

    LAG_RE = re.compile(r'^fodns_probe_schedule_lag_seconds_bucket\{le="([^"]+)"\} (\d+)$')

    def __init__(self, text):
        self.up = 0
        self.backends = 0
        self.v = {}
        self.lag = []  # [(le, cumulative)]
        self.checks = {}
        self.failovers = 0
        for line in text.splitlines():
            if not line.startswith('fodns_'):
                continue
            if line.startswith('fodns_backend_up{'):
                self.backends += 1
                self.up += line.endswith(' 1')
            elif line.startswith('fodns_probe_checks_total{'):
                r = line[line.index('result="') + 8:]
                r = r[:r.index('"')]
                self.checks[r] = self.checks.get(r, 0) + int(line.rsplit(' ', 1)[1])
            elif line.startswith('fodns_backend_failovers_total{'):
                self.failovers += int(line.rsplit(' ', 1)[1])
            elif line.startswith('fodns_probe_schedule_lag_seconds_bucket'):
                m = self.LAG_RE.match(line)
                if m:
                    self.lag.append((m.group(1), int(m.group(2))))
            elif '{' not in line:
                k, _, val = line.partition(' ')
                try:
                    self.v[k] = float(val)
                except ValueError:
                    pass

    def get(self, k):
        return self.v.get(k, 0.0)


def scrape(port, timeout=30):
    c = http.client.HTTPConnection('127.0.0.1', port, timeout=timeout)
    c.request('GET', '/metrics')
    body = c.getresponse().read().decode()
    c.close()
    return Metrics(body)


def lag_quantile(before, after, q):
    """Upper bound (le) of the bucket holding quantile q of the rounds between two scrapes."""
    b = dict(before.lag)
    deltas = [(le, c - b.get(le, 0)) for le, c in after.lag]
    if not deltas or deltas[-1][1] <= 0:
        return 'n/a'
    total = deltas[-1][1]
    for le, c in deltas:
        if c >= q * total:
            return '<= %s s' % le if le != '+Inf' else '> %s s' % deltas[-2][0]
    return 'n/a'


def dnsperf(args, port, queries, duration, out):
    cmd = NICE + ['taskset', '-c', str(args.client_cpu), 'dnsperf', '-s', '127.0.0.1', '-p', str(port), '-d', queries,
           '-l', str(duration)] + args.dnsperf_args.split()
    r = subprocess.run(cmd, capture_output=True, text=True)
    with open(out, 'w') as f:
        f.write(r.stdout + r.stderr)
    m = re.search(r'Queries per second:\s+([\d.]+)', r.stdout)
    lost = re.search(r'Queries lost:\s+(\d+)', r.stdout)
    if not m:
        raise SystemExit('scale-bench: dnsperf gave no result: %s' % (r.stdout + r.stderr)[-500:])
    return float(m.group(1)), int(lost.group(1)) if lost else 0


# --- the scraper (a process of its own: --scraper) ----------------------------------


def scraper_main(port, interval, duration):
    """GET /metrics every `interval` s (start to start) for `duration` s over
    one keep-alive connection; prints: count, median ms, max ms, bytes."""
    buf = bytearray(1 << 20)
    times, size = [], 0
    end = time.monotonic() + duration
    nxt = time.monotonic()
    c = http.client.HTTPConnection('127.0.0.1', port, timeout=30)
    while time.monotonic() < end:
        t0 = time.monotonic()
        c.request('GET', '/metrics')
        r = c.getresponse()
        size = 0
        while True:
            k = r.readinto(buf)
            if not k:
                break
            size += k
        times.append((time.monotonic() - t0) * 1000)
        nxt += interval
        d = nxt - time.monotonic()
        if d > 0:
            time.sleep(d)
        else:
            nxt = time.monotonic()  # behind: no burst
    print('%d %.1f %.1f %d' % (len(times), median(times), max(times) if times else 0, size))


# --- the runs ------------------------------------------------------------------------


def probe_window(m0, m1, secs, n, ticks0, ticks1, pid, interval_s=1.0):
    rounds = m1.get('fodns_probe_rounds_total') - m0.get('fodns_probe_rounds_total')
    main_cpu = (ticks1.get(pid, 0) - ticks0.get(pid, 0)) / os.sysconf('SC_CLK_TCK')
    all_cpu = (sum(ticks1.values()) - sum(ticks0.values())) / os.sysconf('SC_CLK_TCK')
    checks = {k: m1.checks.get(k, 0) - m0.checks.get(k, 0) for k in m1.checks}
    return {
        'secs': secs,
        'rounds': int(rounds),
        'expected': int(n * secs / interval_s),
        'skipped': int(m1.get('fodns_probe_rounds_skipped_total') - m0.get('fodns_probe_rounds_skipped_total')),
        'late': int(m1.get('fodns_probe_rounds_late_total') - m0.get('fodns_probe_rounds_late_total')),
        'missed': int(m1.get('fodns_probe_rounds_missed_total') - m0.get('fodns_probe_rounds_missed_total')),
        'lag_p50': lag_quantile(m0, m1, 0.5),
        'lag_p99': lag_quantile(m0, m1, 0.99),
        'lag_max': lag_quantile(m0, m1, 1.0),
        'up': m1.up,
        'backends': m1.backends,
        'failovers': int(m1.failovers - m0.failovers),
        'ok': checks.get('ok', 0),
        'not_ok': sum(v for k, v in checks.items() if k != 'ok'),
        'main_cpu_pct': 100 * main_cpu / secs,
        'all_cpu_pct': 100 * all_cpu / secs,
    }


def with_switches(w, srv, c0):
    w['main_switches_per_s'] = (srv.switches() - c0) / w['secs']
    return w


def count_events(db):
    con = sqlite3.connect('file:%s?mode=ro' % db, uri=True, timeout=30)
    try:
        return con.execute('SELECT count(*) FROM events').fetchone()[0]
    finally:
        con.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--fodns', required=True)
    ap.add_argument('--responder', required=True, help='sip_bulk_responder binary')
    ap.add_argument('--backends', type=int, default=10000)
    ap.add_argument('--a-seconds', type=int, default=60)
    ap.add_argument('--trials', type=int, default=5, help='alternating trials per pair in (b) and (d)')
    ap.add_argument('--duration', type=int, default=10, help='seconds of dnsperf per trial')
    ap.add_argument('--scrapes', type=int, default=5)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--server-cpu', type=int, default=1)
    ap.add_argument('--client-cpu', type=int, default=0)
    ap.add_argument('--control-cpu', type=int, default=None,
                    help='move the control loop (main thread) to this CPU once the server answers; '
                         'default: it stays on --server-cpu with everything else')
    ap.add_argument('--dnsperf-args', default='-T 2 -c 10 -q 200')
    ap.add_argument('--parts', default='a,b,c,d')
    ap.add_argument('--nice', type=int, default=-20 if os.geteuid() == 0 else 0,
                    help='niceness of fodns, dnsperf, responder and scraper (root: -20), so that other '
                         'work on a shared machine disturbs the trials less; the same for every arm')
    ap.add_argument('--responder-poll-us', type=int, default=1000,
                    help='the SIP responder looks for requests every N us instead of sleeping until one comes '
                         '(0); see sip_bulk_responder.c')
    ap.add_argument('--work')
    ap.add_argument('--keep', action='store_true')
    ap.add_argument('--scraper', nargs=3, metavar=('PORT', 'INTERVAL', 'DURATION'), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.scraper:
        scraper_main(int(args.scraper[0]), float(args.scraper[1]), float(args.scraper[2]))
        return
    if args.nice:
        NICE.extend(['nice', '-n', str(args.nice)])
        # With sched_autogroup (Debian's default) nice only ranks tasks within
        # one session's group; the groups share the CPU equally, so builds in
        # other sessions still took ~70% of the server CPU at nice -20. A
        # session of our own, whose group gets the same niceness, fixes that.
        try:
            os.setsid()
        except OSError:
            pass  # already a session leader
        try:
            with open('/proc/self/autogroup', 'w') as f:
                f.write(str(args.nice))
        except OSError as e:
            log('cannot set the autogroup niceness (%s): other sessions compete at par' % e)
    n = args.backends
    if n > 62500 * 126:
        raise SystemExit('scale-bench: at most %d backends' % (62500 * 126))
    parts = set(args.parts.split(','))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < n + 1000:
        raise SystemExit('scale-bench: RLIMIT_NOFILE hard limit %d is below %d; raise it (ulimit -Hn)' % (hard, n + 1000))
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # children (fodns, responder) inherit it

    work = args.work or tempfile.mkdtemp(prefix='fodns-scale.')
    os.makedirs(work, exist_ok=True)
    procs = []
    results = {}
    try:
        db = make_db(args.fodns, work, n)
        queries = os.path.join(work, 'queries.txt')
        write_queries(queries, n)
        addrs = os.path.join(work, 'addresses.txt')
        with open(addrs, 'w') as f:
            f.writelines(addr_of(i) + '\n' for i in range(n))
        resp = subprocess.Popen(NICE + ['taskset', '-c', str(args.client_cpu), args.responder, addrs, '5060', '200 OK',
                                        str(args.responder_poll_us)],
                                stdout=subprocess.PIPE, stderr=open(os.path.join(work, 'responder.log'), 'w'),
                                text=True)
        procs.append(resp)
        line = resp.stdout.readline()
        if not line.startswith('ready'):
            raise SystemExit('scale-bench: responder failed: %s' % tail(os.path.join(work, 'responder.log')))
        log('responder: %s on 127.1.x.y:5060 (pid %d)' % (line.strip(), resp.pid))

        # First start: every backend unknown, one startup round before answering.
        t0 = time.monotonic()
        srv = Server(args, db, work, True, 'probes-first')
        procs.append(srv)
        srv.wait_ready(n)
        log('first start with probes: answering and %d/%d up after %.1f s' % (n, n, time.monotonic() - t0))

        if 'a' in parts:
            time.sleep(3)  # past the first, randomly spread round
            m0, k0, e0, t0 = scrape(srv.http), srv.thread_ticks(), count_events(db), time.monotonic()
            c0 = srv.switches()
            log('(a) %d s with %d backends probed every second, no other load ...' % (args.a_seconds, n))
            time.sleep(args.a_seconds)
            k1, t1 = srv.thread_ticks(), time.monotonic()
            m1 = scrape(srv.http)
            w = with_switches(probe_window(m0, m1, t1 - t0, n, k0, k1, srv.pid), srv, c0)
            w['events'] = count_events(db) - e0
            results['a'] = w
            log('(a) %s' % w)
        srv.stop()
        procs.remove(srv)

        if 'b' in parts:
            qps = {True: [], False: []}
            loaded = []
            for t in range(args.trials):
                for probing in ([True, False] if t % 2 == 0 else [False, True]):
                    s = Server(args, db, work, probing, 'b%d-%s' % (t, 'probes' if probing else 'noprobes'))
                    procs.append(s)
                    s.wait_ready(n)
                    time.sleep(2)  # past the first round after a restart (spread over 1 s)
                    if probing:
                        m0, k0, e0, t0 = scrape(s.http), s.thread_ticks(), count_events(db), time.monotonic()
                        c0 = s.switches()
                    q, lost = dnsperf(args, s.port, queries, args.duration,
                                      os.path.join(work, 'dnsperf-b%d-%s.txt' % (t, probing)))
                    if probing:
                        k1, t1 = s.thread_ticks(), time.monotonic()
                        m1 = scrape(s.http)
                        w = with_switches(probe_window(m0, m1, t1 - t0, n, k0, k1, s.pid), s, c0)
                        w['events'] = count_events(db) - e0
                        loaded.append(w)
                    qps[probing].append(q)
                    log('(b) trial %d %s: %.0f qps, lost %d' % (t + 1, 'probes on ' if probing else 'probes off', q, lost))
                    s.stop()
                    procs.remove(s)
            results['b'] = {'on': qps[True], 'off': qps[False], 'loaded': loaded}

        srv = Server(args, db, work, True, 'probes-cd')
        procs.append(srv)
        srv.wait_ready(n)
        time.sleep(2)
        if 'c' in parts:
            rows = []
            for i in range(args.scrapes):
                time.sleep(1.1)  # past the render cache (at most 0.5 s)
                out = run(['curl', '-s', '-o', '/dev/null', '-w',
                           '%{time_starttransfer} %{time_total} %{size_download}',
                           'http://127.0.0.1:%d/metrics' % srv.http])
                ttfb, total, size = out.split()
                rows.append((float(ttfb) * 1000, float(total) * 1000, int(size)))
                log('(c) scrape %d: first byte %.1f ms, total %.1f ms, %d bytes' % (i + 1, *rows[-1]))
            results['c'] = rows
        if 'd' in parts:
            qps = {True: [], False: []}
            scr = []
            for t in range(args.trials):
                for scraping in ([True, False] if t % 2 == 0 else [False, True]):
                    sp = None
                    if scraping:
                        sp = subprocess.Popen(NICE + ['taskset', '-c', str(args.client_cpu), sys.executable, __file__,
                                               '--fodns', args.fodns, '--responder', args.responder,
                                               '--scraper', str(srv.http), '0.1', str(args.duration + 0.5)],
                                              stdout=subprocess.PIPE, text=True)
                        procs.append(sp)
                        time.sleep(0.3)
                    q, lost = dnsperf(args, srv.port, queries, args.duration,
                                      os.path.join(work, 'dnsperf-d%d-%s.txt' % (t, scraping)))
                    if sp:
                        out = sp.communicate(timeout=120)[0].split()
                        procs.remove(sp)
                        scr.append(tuple(float(x) for x in out))
                        log('(d) trial %d scraping: %.0f qps, lost %d; %d scrapes, median %.1f ms, max %.1f ms'
                            % (t + 1, q, lost, scr[-1][0], scr[-1][1], scr[-1][2]))
                    else:
                        log('(d) trial %d quiet:    %.0f qps, lost %d' % (t + 1, q, lost))
                    qps[scraping].append(q)
            results['d'] = {'on': qps[True], 'off': qps[False], 'scrapes': scr}
        srv.stop()
        procs.remove(srv)
    finally:
        for p in reversed(procs):
            try:
                if isinstance(p, Server):
                    p.stop()
                elif p.poll() is None:
                    p.send_signal(signal.SIGTERM)
                    p.wait(10)
            except Exception:  # noqa: BLE001 - best effort at exit
                pass
        if args.keep:
            log('work dir kept: %s' % work)
        else:
            shutil.rmtree(work, ignore_errors=True)
    report(args, n, results)


def fmt_window(w):
    return ('rounds %d of %d expected, skipped %d, late %d, missed %d; lag p50 %s, p99 %s, max %s; '
            'up %d/%d; state changes %d (events %d); probe results ok %d, not ok %d; '
            'control loop CPU %.1f%% and %.0f context switches/s, fodns CPU %.1f%%'
            % (w['rounds'], w['expected'], w['skipped'], w['late'], w['missed'], w['lag_p50'], w['lag_p99'],
               w['lag_max'], w['up'], w['backends'], w['failovers'], w.get('events', 0), w['ok'], w['not_ok'],
               w['main_cpu_pct'], w.get('main_switches_per_s', 0), w['all_cpu_pct']))


def paired(on, off):
    """Median and range of on/off within each trial pair (run back to back, so
    slow drifts of a shared machine cancel), as text."""
    r = sorted(a / b for a, b in zip(on, off) if b)
    if not r:
        return 'no pairs'
    return 'per pair: median %.3f, range %.3f-%.3f' % (median(r), r[0], r[-1])


def report(args, n, res):
    cpu = ''
    try:
        with open('/proc/cpuinfo') as f:
            cpu = next(l.split(':', 1)[1].strip() for l in f if l.startswith('model name'))
    except (OSError, StopIteration):
        pass
    print()
    print('## fodns scale benchmark %s' % time.strftime('%Y-%m-%dT%H:%MZ', time.gmtime()))
    print()
    print('%d backends (sip-options/UDP, interval 1 s, CLI defaults), each governing an A record and an SRV.'
          % n)
    print('fodns `serve --threads %d` pinned to CPU %d (all threads); dnsperf `%s`, SIP responder and scraper'
          % (args.threads, args.server_cpu, args.dnsperf_args))
    print('on CPU %d, all at nice %d. %d s of dnsperf per trial; medians of %d alternating trials. CPU: %s.'
          % (args.client_cpu, args.nice, args.duration, args.trials, cpu))
    print('Load average at the end: %s.' % ' '.join(open('/proc/loadavg').read().split()[:3]))
    print()
    print('| figure | result | goal | met |')
    print('| --- | --- | --- | --- |')
    if 'a' in res:
        w = res['a']
        ok = (w['skipped'] == 0 and w['late'] == 0 and w['missed'] == 0 and w['up'] == n and w['failovers'] == 0
              and w['events'] == 0 and w['rounds'] >= 0.95 * w['expected'])
        print('| (a) control loop, %.0f s idle | %s | no late/missed/skipped rounds, all up, no state changes | %s |'
              % (w['secs'], fmt_window(w), 'yes' if ok else 'NO'))
    if 'b' in res:
        b = res['b']
        on, off = median(b['on']), median(b['off'])
        ratio = on / off if off else float('nan')
        print('| (b) QPS probes on / off | %.0f / %.0f = %.3f (on: %s; off: %s; %s) | ratio >= 0.90 | %s |'
              % (on, off, ratio, ' '.join('%.0f' % x for x in b['on']), ' '.join('%.0f' % x for x in b['off']),
                 paired(b['on'], b['off']), 'yes' if ratio >= 0.9 else 'NO'))
        for i, w in enumerate(b['loaded']):
            ok = w['skipped'] == 0 and w['late'] == 0 and w['missed'] == 0 and w['failovers'] == 0 and w['up'] == n
            print('| (a) under dnsperf, trial %d, %.0f s | %s | as (a) | %s |'
                  % (i + 1, w['secs'], fmt_window(w), 'yes' if ok else 'NO'))
    if 'c' in res:
        c = res['c']
        print('| (c) /metrics scrape | first byte median %.1f ms (max %.1f), total median %.1f ms (max %.1f), '
              '%.1f MB (%d scrapes) | (figure) | |'
              % (median([r[0] for r in c]), max(r[0] for r in c), median([r[1] for r in c]),
                 max(r[1] for r in c), c[-1][2] / 1e6, len(c)))
    if 'd' in res:
        d = res['d']
        on, off = median(d['on']), median(d['off'])
        diff = abs(on - off) / off * 100 if off else float('nan')
        scr = d['scrapes']
        print('| (d) QPS scraped every 100 ms / quiet | %.0f / %.0f = %.1f%% apart (scraped: %s; quiet: %s; %s); '
              '%.0f scrapes per trial, median %.1f ms | < 2%% apart | %s |'
              % (on, off, diff, ' '.join('%.0f' % x for x in d['on']), ' '.join('%.0f' % x for x in d['off']),
                 paired(d['on'], d['off']), median([s[0] for s in scr]), median([s[1] for s in scr]),
                 'yes' if diff < 2 else 'NO'))


if __name__ == '__main__':
    main()
