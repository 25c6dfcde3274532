#!/usr/bin/env python3
"""The Knot DNS and NSD secondary configs in docs/delegation.md are valid.

Claims:
- docs/delegation.md has one ```yaml block (Knot DNS) and one plain block
  with `request-xfr` (NSD), both with the placeholder secret.
- With the placeholder replaced by a real base64 secret, `knotc conf-check`
  and `nsd-checkconf` accept them (the page says so). The fodns side of the
  setup (tsig, zone set, transfers) is not run here: it is being built in
  another issue and its blocks are marked not runnable.
- A config spoiled on purpose is refused by both checkers (so the check can
  fail at all).
"""

import base64
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PLACEHOLDER = 'PASTE-THE-SECRET-FROM-fodns-tsig-add='


def blocks():
    with open(os.path.join(REPO, 'docs', 'delegation.md')) as f:
        text = f.read()
    knot = [b for lang, b in re.findall(r'^```(\w*)\n(.*?)^```', text, re.S | re.M)
            if lang == 'yaml' and PLACEHOLDER in b]
    nsd = [b for lang, b in re.findall(r'^```(\w*)\n(.*?)^```', text, re.S | re.M)
           if lang == '' and PLACEHOLDER in b and 'request-xfr' in b]
    assert len(knot) == 1 and len(nsd) == 1, (len(knot), len(nsd))
    return knot[0], nsd[0]


def check(argv, path, text, want_ok):
    with open(path, 'w') as f:
        f.write(text)
    cp = subprocess.run(argv + [path], capture_output=True, text=True)
    print(' '.join(argv), '->', cp.returncode, (cp.stdout + cp.stderr).strip())
    assert (cp.returncode == 0) == want_ok, 'unexpected result for:\n' + text


def main():
    path = '/usr/sbin:' + os.environ['PATH']  # both live in /usr/sbin
    knotc, nsdcc = shutil.which('knotc', path=path), shutil.which('nsd-checkconf', path=path)
    assert knotc and nsdcc, 'knotc/nsd-checkconf missing (packages knot, nsd: tools/setup.sh)'
    secret = base64.b64encode(os.urandom(32)).decode()
    knot, nsd = (b.replace(PLACEHOLDER, secret) for b in blocks())
    with tempfile.TemporaryDirectory(prefix='fodns-secondaries-') as tmp:
        kpath, npath = os.path.join(tmp, 'knot.conf'), os.path.join(tmp, 'nsd.conf')
        for text, ok in ((knot, True), (knot.replace('hmac-sha256', 'hmac-nonsense'), False)):
            with open(kpath, 'w') as f:
                f.write(text)
            cp = subprocess.run([knotc, '-c', kpath, 'conf-check'], capture_output=True, text=True)
            print('knotc conf-check ->', cp.returncode, (cp.stdout + cp.stderr).strip())
            assert (cp.returncode == 0) == ok, text
        check([nsdcc], npath, nsd, True)
        check([nsdcc], npath, nsd.replace('request-xfr:', 'request-xfr-typo:'), False)
    print('ok')
    return 0


if __name__ == '__main__':
    sys.exit(main())
