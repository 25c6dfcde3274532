"""Progress of long work: `zone import` of a big file, `serve` start-up on a big database.

Claims:
- Not on a terminal, short work prints no progress at all (importing the example zone:
  stderr empty).
- Not on a terminal, long work prints plain log lines, key=value, msg="progress" with
  task, phase, done, total and percent, ending with phase=done; never a carriage return.
  (FODNS_PROGRESS_INTERVAL_MS shortens the 5 s between lines so the test stays quick.)
- `serve` start-up on that database reports its loading the same way (phase
  "loading records" with total = the records of the database).
- On a terminal (a pty as stderr), the import shows one line rewritten with \\r, with a
  percentage, erased (ESC [ K) before the result is printed on stdout.
"""

import os
import pty
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_harness as h  # noqa: E402

RECORDS = 100000


def big_zone(path, records):
    with open(path, 'w') as z:
        z.write('$ORIGIN big.example.\n$TTL 300\n'
                '@ IN SOA ns1 hostmaster 1 3600 600 1209600 30\n@ IN NS ns1\nns1 IN A 192.0.2.1\n')
        for i in range(records):
            z.write('h%d IN A 10.%d.%d.%d\n' % (i, (i >> 16) & 255, (i >> 8) & 255, i & 255))
    return records + 3


def main():
    f = h.Failures()
    with h.TempDir() as tmp:
        # Short work: silent.
        code, out, err = h.run(['--db', tmp.file('small.db'), 'zone', 'import', h.EXAMPLE_ZONE])
        f.check(code == 0 and err == '', 'short import: exit %d, stderr %r' % (code, err))

        zone = tmp.file('big.zone')
        total = big_zone(zone, RECORDS)
        env = h.env_without_db()
        env['FODNS_PROGRESS_INTERVAL_MS'] = '20'
        db = tmp.file('big.db')
        t0 = time.time()
        code, out, err = h.run(['--db', db, 'zone', 'import', zone], env=env, timeout=300)
        print('import of %d records: %.1fs' % (total, time.time() - t0))
        f.check(code == 0 and 'imported big.example.' in out, 'big import: exit %d %r %r' % (code, out, err[-300:]))
        f.check('\r' not in err, 'a carriage return on a non-terminal stderr')
        try:
            events = h.log_events(err)
        except AssertionError as e:
            events = []
            f.check(False, 'progress lines are not key=value: %s' % e)
        prog = [e for e in events if e['msg'] == 'progress']
        print('\n'.join(l for l in err.splitlines()[:6]))
        f.check(len(prog) >= 2, 'big import: %d progress lines' % len(prog))
        phases = {e['phase'] for e in prog}
        f.check(phases & {'parsing', 'storing records'}, 'phases seen: %s' % phases)
        if prog:
            f.check(prog[-1]['phase'] == 'done', 'last progress line: %s' % prog[-1])
            f.check(all('task' in e and 'done' in e for e in prog), prog)
            with_total = [e for e in prog if 'total' in e]
            f.check(with_total and all(0 <= int(e['percent']) <= 100 for e in with_total), with_total)
            storing = [e for e in prog if e['phase'] == 'storing records']
            f.check(storing and all(int(e['total']) == total for e in storing), 'storing total: %s' % storing)

        # serve start-up on the big database.
        env['FODNS_PROGRESS_INTERVAL_MS'] = '1'
        s = h.Server(db, env=env, quiet=True)
        s.stop()
        log = s.log()
        f.check('\r' not in log, 'serve: a carriage return in the log')
        loading = [e for e in h.log_events(log) if e['msg'] == 'progress' and e['phase'] == 'loading records']
        f.check(loading, 'serve start-up: no loading progress: %s' % log[:600])
        f.check(all(int(e['total']) == total for e in loading), 'serve loading total: %s' % loading[:2])

        # On a terminal: \r-updated line, erased at the end.
        master, slave = pty.openpty()
        p = subprocess.Popen([h.FODNS, '--db', tmp.file('tty.db'), 'zone', 'import', zone],
                             stdout=subprocess.PIPE, stderr=slave, env=h.env_without_db())
        os.close(slave)
        tty = b''
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break  # EIO: the child closed its end
            if not chunk:
                break
            tty += chunk
        out = p.stdout.read().decode()
        p.wait()
        os.close(master)
        text = tty.decode(errors='replace')
        print('terminal output (%d bytes): %r' % (len(tty), text[:200]))
        f.check(p.returncode == 0 and 'imported big.example.' in out, 'tty import: %d %r' % (p.returncode, out))
        f.check(text.count('\r') >= 2, 'terminal: the line was not rewritten (\\r): %r' % text[:300])
        f.check(re.search(r'importing .*big\.zone: \w', text), 'terminal: no "importing FILE: phase": %r' % text[:300])
        f.check(re.search(r'\d+%', text), 'terminal: no percentage: %r' % text[:300])
        f.check(text.endswith('\r\x1b[K'), 'terminal: the line was not erased at the end: %r' % text[-80:])
        f.check('msg=' not in text, 'terminal: log lines instead of a status line')
    f.report('progress')


if __name__ == '__main__':
    main()
