#!/usr/bin/env python3
"""Failover-time benchmark (driven by tools/bench/failover.sh; stdlib only).

Two Kamailio instances (primary 127.0.1.101, backup 127.0.1.102, udp+tcp
port 5060, test/integration/kamailio/options.cfg) are the backends `primary`
(priority 0) and `backup` (priority 10) of `bench.example.net A` in a fodns
serving zones/example.net.zone on a free loopback port. For each case
(probe settings) and failure kind, N trials:

  1. wait until the answer is the primary only, then sleep a random time in
     [0, interval) so that the failure hits a random phase of the probe
     schedule;
  2. a poller thread sends `bench.example.net A` over UDP every 20 ms (fixed
     rate, raw socket) and records each answer;
  3. the failure: `kill` = SIGKILL to the primary's process group (the port
     is closed: ICMP port unreachable); `blackhole` = an nftables rule in a
     table of our own drops all traffic to 127.0.1.101:5060 in the input hook
     (sending succeeds, nothing arrives, nothing comes back; needs root);
  4. failover time = arrival of the first answer sent after the failure
     without the primary - the moment of the failure; the poller keeps going
     for max(1 s, 2 x interval x fall) and counts answers that still name the
     primary after the first failed-over one (goal 0);
  5. restore (start Kamailio again / flush the rule), wait for the primary.

Prints a markdown table: median, max, min, stale answers, goal, met.
"""

import argparse
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, 'test', 'integration'))
import fodns_harness as h  # noqa: E402

NAME = 'bench.example.net.'
PRIMARY, BACKUP = '127.0.1.101', '127.0.1.102'
POLL_S = 0.020

CASES = {
    # name: (interval s, fall, timeout s, rise, CLI options)
    'a': (1.0, 3, 0.8, 2, ['--interval', '1s', '--fall', '3', '--timeout', '800ms',
                           '--rise', '2']),
    'b': (0.1, 1, 0.08, 2, ['--interval', '100ms', '--fall', '1', '--timeout', '80ms',
                            '--rise', '2']),
}


def log(msg):
    sys.stderr.write('failover-bench: %s\n' % msg)
    sys.stderr.flush()


class Poller(threading.Thread):
    """Queries NAME A every POLL_S (fixed rate); records (sent, received, addrs)."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.stopping = False
        self.samples = []

    def run(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.connect(('127.0.0.1', self.port))
        next_t = time.monotonic()
        while not self.stopping:
            qid = random.randint(0, 0xffff)
            sent = time.monotonic()
            s.settimeout(0.5)
            addrs = None
            try:
                s.send(h.make_query(NAME, 'A', qid=qid))
                while True:
                    data = s.recv(4096)
                    m = h.Message(data)
                    if m.id == qid:
                        addrs = {rr.text for rr in m.rrs('answer', 'A')}
                        break
            except (OSError, h.ParseError):
                pass
            self.samples.append((sent, time.monotonic(), addrs))
            next_t += POLL_S
            delay = next_t - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            else:
                next_t = time.monotonic()  # fell behind: do not burst
        s.close()


class Blackhole:
    """An nftables table of our own that drops traffic to ADDR:5060 when on."""

    def __init__(self, addr):
        self.addr = addr
        self.table = 'fodns_failover_bench_%d' % os.getpid()
        self.made = False

    def nft(self, *args):
        subprocess.run(['nft'] + list(args), check=True, capture_output=True, timeout=10)

    def setup(self):
        self.nft('add', 'table', 'inet', self.table)
        self.made = True
        # Input, not output: a drop in the output hook makes the sender's
        # send() fail with EPERM at once, which is no blackhole.
        self.nft('add', 'chain', 'inet', self.table, 'in',
                 '{ type filter hook input priority 0 ; policy accept ; }')

    def on(self):
        self.nft('add', 'rule', 'inet', self.table, 'in', 'ip', 'daddr', self.addr,
                 'meta', 'l4proto', '{ udp, tcp }', 'th', 'dport', '5060', 'drop')

    def off(self):
        self.nft('flush', 'chain', 'inet', self.table, 'in')

    def cleanup(self):
        if self.made:
            subprocess.run(['nft', 'delete', 'table', 'inet', self.table],
                           capture_output=True, timeout=10)
            self.made = False


def run_case(case, kind, trials):
    interval, fall, timeout, rise, opts = CASES[case]
    k1, k2 = h.Kamailio(PRIMARY), h.Kamailio(BACKUP)
    f = h.FailoverFodns(zones=[('example.net.', os.path.join(h.ZONES, 'example.net.zone'))],
                        http=False)
    bh = Blackhole(PRIMARY) if kind == 'blackhole' else None
    results, stale_total, missing = [], 0, 0
    try:
        k1.start()
        k2.start()
        f.import_zones()
        for name, addr in (('primary', PRIMARY), ('backup', BACKUP)):
            f.cli('backend', 'add', name, '--address', addr, '--probe', 'sip-options', *opts)
        f.cli('record', 'add', NAME, '20', 'A', PRIMARY, '--backend', 'primary',
              '--priority', '0')
        f.cli('record', 'add', NAME, '20', 'A', BACKUP, '--backend', 'backup', '--priority', '10')
        f.serve()
        if bh:
            bh.setup()
        for trial in range(trials):
            ok, _ = h.wait_for(lambda: f.addrs(NAME) == {PRIMARY}, timeout=30, interval=0.05)
            if not ok:
                raise RuntimeError('primary not back in the answer\n' + f.log_text())
            time.sleep(random.uniform(0, interval))
            poller = Poller(f.port)
            poller.start()
            time.sleep(0.1)
            t_fail = time.monotonic()
            if bh:
                bh.on()
            else:
                k1.kill()
            window = max(1.0, 2 * interval * fall)
            deadline = t_fail + 3 * interval * fall + timeout + 5
            first = None
            while time.monotonic() < deadline:
                time.sleep(0.05)
                if first is None:
                    for sent, recv, addrs in list(poller.samples):
                        if sent >= t_fail and addrs is not None and PRIMARY not in addrs:
                            first = recv
                            break
                if first is not None and time.monotonic() > first + window:
                    break
            poller.stopping = True
            poller.join(5)
            before = [a for s, r, a in poller.samples if s < t_fail - 0.001 and a is not None]
            if any(PRIMARY not in a for a in before):
                log('warning: an answer without the primary before the failure')
            if first is None:
                missing += 1
                log('%s/%s trial %d: no failover within %.1f s' % (case, kind, trial + 1,
                                                                    deadline - t_fail))
            else:
                took = first - t_fail
                stale = sum(1 for s, r, a in poller.samples
                            if r > first and a is not None and PRIMARY in a)
                results.append(took)
                stale_total += stale
                log('%s/%s trial %d: %.3f s, %d stale answers after it' %
                    (case, kind, trial + 1, took, stale))
            if bh:
                bh.off()
            else:
                k1.start()
        if not f.alive():
            raise RuntimeError('fodns died\n' + f.log_text())
    finally:
        if bh:
            bh.cleanup()
        k1.cleanup()
        k2.cleanup()
        f.cleanup()
    return results, stale_total, missing


def fmt_s(x):
    return '%.3f' % x


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--trials', type=int, default=10)
    ap.add_argument('--cases', default='a,b', help='a = interval 1s fall 3; '
                    'b = interval 100ms fall 1 timeout 80ms')
    ap.add_argument('--kinds', default='kill,blackhole')
    args = ap.parse_args()
    if h.kamailio_binary() is None:
        sys.exit('failover-bench: kamailio is not installed (Debian package kamailio)')
    kinds = args.kinds.split(',')
    root_ok = os.geteuid() == 0 and shutil.which('nft') is not None
    rows = []
    for case in args.cases.split(','):
        interval, fall, timeout, rise, opts = CASES[case]
        goal = interval * fall + 0.1
        for kind in kinds:
            settings = 'interval %gs, fall %d, timeout %gs, rise %d' % (interval, fall, timeout,
                                                                         rise)
            if kind == 'blackhole' and not root_ok:
                rows.append('| %s | %s | %s | - | skipped: needs root and nft | | | | |' %
                            (case, settings, kind))
                continue
            log('case %s (%s), %s, %d trials' % (case, settings, kind, args.trials))
            res, stale, missing = run_case(case, kind, args.trials)
            if res:
                med, mx, mn = statistics.median(res), max(res), min(res)
                met = med < goal and stale == 0 and missing == 0
                goal_txt = 'median < %.2f s' % goal
                if case == 'b':
                    met = met and med < 0.2 and mx < 0.3
                    goal_txt = 'median < 0.2 s, max < 0.3 s'
                rows.append('| %s | %s | %s | %d%s | %s | %s | %s | %d | %s | %s |' % (
                    case, settings, kind, len(res),
                    (' (+%d none)' % missing) if missing else '',
                    fmt_s(med), fmt_s(mx), fmt_s(mn), stale, goal_txt, 'yes' if met else 'NO'))
            else:
                rows.append('| %s | %s | %s | 0 (+%d none) | - | - | - | - | | NO |' %
                            (case, settings, kind, missing))
    load = open('/proc/loadavg').read().split()[:3]
    print('Failover time: from the failure of the primary to the first DNS answer without it,')
    print('polled every %d ms over UDP; %d trials each at a random phase of the probe '
          'schedule.' % (POLL_S * 1000, args.trials))
    print('Host: %d CPUs, load %s at the end; %s.' % (os.cpu_count(), ' '.join(load),
                                                       time.strftime('%Y-%m-%d %H:%M UTC',
                                                                     time.gmtime())))
    print()
    print('| case | probe settings | failure | trials | median s | max s | min s | '
          'stale answers after failover | goal | met |')
    print('|---|---|---|---|---|---|---|---|---|---|')
    for r in rows:
        print(r)


if __name__ == '__main__':
    main()
