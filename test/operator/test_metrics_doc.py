#!/usr/bin/env python3
"""docs/metrics.md lists exactly the metrics a running fodns exports.

Claims:
- Scraping `fodns serve` (one zone, one probed backend so that per-backend
  series exist) gives a set of metric families (`# TYPE` lines) equal to the
  set of names in the tables of docs/metrics.md.
- For each family, the type (counter, gauge, histogram) and the label names
  (`le` of histograms aside) equal what the table row says.
"""

import os
import re
import subprocess
import sys
import tempfile
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'integration'))
import fodns_harness as h  # noqa: E402

ROW_RE = re.compile(r'^\|\s*`(fodns_[a-z0-9_]+)(?:\{([a-z_,]*)\})?`\s*\|\s*(\w+)\s*\|')


def documented():
    out = {}
    with open(os.path.join(REPO, 'docs', 'metrics.md')) as f:
        for line in f:
            m = ROW_RE.match(line)
            if m:
                name, labels, mtype = m.group(1), m.group(2), m.group(3)
                assert name not in out, 'docs/metrics.md lists %s twice' % name
                out[name] = (mtype, frozenset(labels.split(',')) if labels else frozenset())
    return out


def scraped(text):
    types, labels = {}, {}
    for line in text.splitlines():
        if line.startswith('# TYPE '):
            _, _, name, mtype = line.split()
            types[name] = mtype
            labels.setdefault(name, set())
        elif line and not line.startswith('#'):
            m = re.match(r'([a-z0-9_]+)(?:\{(.*)\})? ', line)
            name = m.group(1)
            for suffix in ('_bucket', '_sum', '_count'):
                base = name[:-len(suffix)] if name.endswith(suffix) else None
                if base and types.get(base) == 'histogram':
                    name = base
            keys = set(re.findall(r'([a-z_]+)="', m.group(2) or '')) - {'le'}
            labels.setdefault(name, set()).update(keys)
    return {n: (t, frozenset(labels.get(n, ()))) for n, t in types.items()}


def main():
    exe = os.environ['FODNS']
    with tempfile.TemporaryDirectory(prefix='fodns-metrics-doc-') as tmp:
        db = os.path.join(tmp, 'fodns.db')
        run = lambda *a: subprocess.run([exe, '--db', db] + list(a), check=True,  # noqa: E731
                                        capture_output=True, text=True)
        run('zone', 'import', os.path.join(REPO, 'zones', 'example.net.zone'))
        run('backend', 'add', 'sip1', '--address', '127.0.0.1', '--port', '9', '--probe', 'tcp')
        for _ in range(5):
            dns, http = h.free_port(ipv6=False), h.free_port(ipv6=False)
            proc = subprocess.Popen([exe, '--db', db, 'serve', '--threads', '1',
                                     '--listen', '127.0.0.1:%d' % dns,
                                     '--http', '127.0.0.1:%d' % http],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                if not h.wait_answering('127.0.0.1', dns, 'example.net.', 10, proc):
                    continue
                h.query('127.0.0.1', dns, 'sip.example.net.', 'A')
                text = urllib.request.urlopen('http://127.0.0.1:%d/metrics' % http,
                                              timeout=5).read().decode()
                break
            finally:
                proc.kill()
                proc.wait()
        else:
            raise AssertionError('fodns serve did not come up')
    doc, got = documented(), scraped(text)
    assert len(doc) > 30, 'parsed only %d rows from docs/metrics.md' % len(doc)
    missing = sorted(set(got) - set(doc))
    stale = sorted(set(doc) - set(got))
    assert not missing, 'exported but not in docs/metrics.md: %s' % missing
    assert not stale, 'in docs/metrics.md but not exported: %s' % stale
    for name in sorted(doc):
        assert doc[name] == got[name], '%s: docs say %s %s, fodns exports %s %s' % (
            name, doc[name][0], sorted(doc[name][1]), got[name][0], sorted(got[name][1]))
    print('ok: %d metrics documented as exported' % len(doc))
    return 0


if __name__ == '__main__':
    sys.exit(main())
