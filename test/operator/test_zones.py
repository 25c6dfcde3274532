#!/usr/bin/env python3
"""The example zones in zones/ import, validate, and round-trip.

Claims, for zones/office.example.com.zone (the office PBX) and
zones/example.net.zone (the SIP provider):
- `fodns zone import` accepts the file (it validates like every edit), and
  `fodns zone list --json` shows the zone with the file's serial.
- `fodns zone export` round-trips: the export imports into a fresh database
  and exports again byte for byte; its records equal the source file's as
  ldns-read-zone reads them (canonical form, so the comparison is not fodns
  agreeing with itself).
- The RFC 3263 chain is complete inside the zone: every NAPTR replacement has
  SRV records, every SRV target has an address record.
- The office PBX zone keeps failover short: SOA MINIMUM <= 60 s, and every
  SIP-related record (NAPTR, SRV and the addresses SRV points to) has TTL
  <= 60 s; it has exactly one primary (lowest SRV priority) and one backup.
- Served by `fodns serve --no-probes`, a NAPTR query for the office zone is
  answered with the SRV and A records in the additional section, as phones
  following RFC 3263 need them.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'integration'))
import fodns_harness as h  # noqa: E402

ZONES = [('office.example.com.', 'office.example.com.zone'),
         ('example.net.', 'example.net.zone')]


def fodns(db, *args, stdin=None):
    cp = subprocess.run([os.environ['FODNS'], '--db', db] + list(args), capture_output=True,
                        text=True, input=stdin, timeout=60)
    assert cp.returncode == 0, '%s: exit %d\n%s%s' % (args, cp.returncode, cp.stdout, cp.stderr)
    return cp.stdout


def canonical(text):
    """Records as ldns-read-zone prints them canonically: sorted lines of
    'owner ttl class type rdata', lower-cased names, one blank per field."""
    with tempfile.NamedTemporaryFile('w', suffix='.zone') as f:
        f.write(text)
        f.flush()
        cp = subprocess.run(['ldns-read-zone', '-c', f.name],
                            capture_output=True, text=True, check=True)
    return sorted(' '.join(line.split()) for line in cp.stdout.splitlines()
                  if line.strip() and not line.startswith(';'))


def records(lines):
    out = []
    for line in lines:
        f = line.split()
        out.append((f[0], int(f[1]), f[3], f[4:]))
    return out


def check_chain(origin, recs):
    by = {}
    for owner, ttl, rtype, rdata in recs:
        by.setdefault((owner, rtype), []).append((ttl, rdata))
    naptr = by.get((origin, 'NAPTR'), [])
    assert naptr, '%s: no NAPTR at the apex' % origin
    for _, rd in naptr:
        repl = rd[-1]
        assert (repl, 'SRV') in by, '%s: NAPTR -> %s has no SRV' % (origin, repl)
        for _, srv in by[(repl, 'SRV')]:
            target = srv[3]
            assert (target, 'A') in by or (target, 'AAAA') in by, \
                '%s: SRV %s -> %s has no address' % (origin, repl, target)
    return by


def check_office(by, soa_min):
    origin = 'office.example.com.'
    assert soa_min <= 60, 'SOA MINIMUM %d > 60' % soa_min
    targets = set()
    for (owner, rtype), rrs in by.items():
        if rtype in ('NAPTR', 'SRV'):
            for ttl, rd in rrs:
                assert ttl <= 60, '%s %s TTL %d > 60' % (owner, rtype, ttl)
                if rtype == 'SRV':
                    targets.add((int(rd[0]), rd[3]))
    for _, t in targets:
        for ttl, _ in by.get((t, 'A'), []):
            assert ttl <= 60, '%s A TTL %d > 60' % (t, ttl)
    prios = sorted({p for p, _ in targets})
    assert len(prios) == 2, 'expected one primary and one backup priority, got %s' % prios
    assert {t for p, t in targets if p == prios[0]} == {'pbx1.' + origin}
    assert {t for p, t in targets if p == prios[1]} == {'pbx2.' + origin}


def check_naptr_additional(db):
    for _ in range(5):
        port = h.free_port(ipv6=False)
        proc = subprocess.Popen([os.environ['FODNS'], '--db', db, 'serve', '--no-probes',
                                 '--threads', '1', '--http', 'none',
                                 '--listen', '127.0.0.1:%d' % port],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            if not h.wait_answering('127.0.0.1', port, 'office.example.com.', 10, proc):
                continue
            m = h.query('127.0.0.1', port, 'office.example.com.', 'NAPTR')
            assert m.rcode == h.NOERROR and len(m.rrs('answer', 'NAPTR')) == 2, str(m)
            srv = {r.name for r in m.rrs('additional', 'SRV')}
            assert srv == {'_sip._udp.office.example.com.', '_sip._tcp.office.example.com.'}, str(m)
            addrs = {r.name for r in m.rrs('additional', 'A')}
            assert {'pbx1.office.example.com.', 'pbx2.office.example.com.'} <= addrs, str(m)
            return
        finally:
            proc.kill()
            proc.wait()
    raise AssertionError('fodns serve did not come up')


def main():
    assert shutil.which('ldns-read-zone'), 'ldns-read-zone missing (package ldnsutils)'
    with tempfile.TemporaryDirectory(prefix='fodns-zones-') as tmp:
        for origin, name in ZONES:
            path = os.path.join(REPO, 'zones', name)
            with open(path) as f:
                source = f.read()
            db1, db2 = os.path.join(tmp, name + '.1.db'), os.path.join(tmp, name + '.2.db')
            fodns(db1, 'zone', 'import', path)
            listed = json.loads(fodns(db1, 'zone', 'list', '--json'))
            zones = listed if isinstance(listed, list) else listed.get('zones', [])
            mine = [z for z in zones if z.get('name') == origin]
            assert mine, 'zone list lacks %s: %s' % (origin, listed)

            export1 = fodns(db1, 'zone', 'export', origin)
            exp_path = os.path.join(tmp, name + '.export')
            with open(exp_path, 'w') as f:
                f.write(export1)
            fodns(db2, 'zone', 'import', exp_path, '--origin', origin)
            export2 = fodns(db2, 'zone', 'export', origin)
            assert export1 == export2, 'export does not round-trip:\n%s\n---\n%s' % (export1,
                                                                                     export2)
            want, got = canonical(source), canonical(export1)
            assert want == got, 'export differs from the source:\n%s' % '\n'.join(
                sorted(set(want) ^ set(got)))

            recs = records(want)
            soa = [r for r in recs if r[2] == 'SOA'][0]
            assert mine[0].get('serial') == int(soa[3][2]), (mine, soa)
            by = check_chain(origin, recs)
            if origin == 'office.example.com.':
                check_office(by, int(soa[3][6]))
                check_naptr_additional(db1)
            print('%s: %d records, import/export round-trip ok' % (name, len(recs)))
    print('ok')
    return 0


if __name__ == '__main__':
    sys.exit(main())
