#!/usr/bin/env python3
"""Runs the shell blocks of README.md and docs/*.md that are marked runnable.

Claims:
- Every fenced ```sh block preceded by a `<!-- runnable ... -->` line exits 0
  when run with bash -e -o pipefail, `fodns` (the fresh build, env FODNS) first
  on PATH, in a fresh temporary directory per Markdown file holding a copy of
  zones/ and tools/fodns.service, with FODNS_DB pointing into that directory.
  Blocks of one file run in order and share that directory.
- A failing block is reported as FILE:LINE of the failing command.
- In docs/, every ```sh block says whether it runs: `<!-- runnable -->` or
  `<!-- not runnable: REASON -->` (a block nobody runs is a decision, not an
  accident). README.md's first two blocks (tools/setup.sh, run by CI itself)
  are never marked runnable.
- `<!-- runnable needs=TOOL,TOOL -->` names the programs a block needs besides
  fodns and coreutils; a missing one fails the test (it would otherwise be a
  block that silently never ran).
The marker syntax is documented in docs/README.md.

- With --any-order, the files run in reverse order, all in one shared directory
  (one $FODNS_DB): every page keeps its own --db, so none depends on or breaks
  another, whatever the reader ran before.

Usage: run_docs.py [--self-test | --any-order] [FILE.md...] (default: README.md docs/*.md)
"""

import fcntl
import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
MARK_RE = re.compile(r'^<!--\s*(runnable|not runnable)\b(.*?)-->\s*$')
FENCE_RE = re.compile(r'^(```+|~~~+)\s*([A-Za-z0-9_-]*)')
SHELL_LANGS = {'sh', 'bash', 'shell', 'console'}
BLOCK_TIMEOUT_S = 120
# The fixed ports the runnable blocks serve on (docs/README.md). fodns binds
# with SO_REUSEPORT, so two runs at once would not fail to bind but silently
# share each other's queries: runs on one machine take a lock, and the ports
# must be free of anything else.
DOC_PORTS = [(socket.SOCK_DGRAM, 15353), (socket.SOCK_STREAM, 15353),
             (socket.SOCK_STREAM, 19153)]
LOCK_PATH = os.path.join(tempfile.gettempdir(), 'fodns-run-docs.lock')
# Lines the runner puts before each block: set in bash's LINENO terms, see run_block.
PRELUDE = ("set -e -o pipefail\n"
           "trap 'echo \"run_docs: failed at block line $((LINENO - 2))\" >&2' ERR\n")


class Block:
    def __init__(self, path, line, lang, text, mark, needs):
        self.path = path      # Markdown file
        self.line = line      # 1-based line of the opening fence
        self.lang = lang
        self.text = text
        self.mark = mark      # 'runnable', 'not runnable' or None
        self.needs = needs

    def where(self, offset=0):
        return '%s:%d' % (os.path.relpath(self.path, REPO), self.line + offset)


def parse_blocks(path):
    """All fenced code blocks of a Markdown file with the marker line before them."""
    with open(path, encoding='utf-8') as f:
        lines = f.read().split('\n')
    blocks, i = [], 0
    while i < len(lines):
        m = FENCE_RE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, lang, start = m.group(1), m.group(2).lower(), i
        body = []
        i += 1
        while i < len(lines) and not lines[i].startswith(fence):
            body.append(lines[i])
            i += 1
        if i == len(lines):
            raise SystemExit('%s:%d: code fence never closed' % (path, start + 1))
        i += 1
        mark, needs = None, []
        prev = lines[start - 1] if start > 0 else ''
        mm = MARK_RE.match(prev.strip())
        if mm:
            mark = mm.group(1)
            rest = mm.group(2).strip()
            if mark == 'runnable' and rest:
                nm = re.fullmatch(r'needs=([A-Za-z0-9_.,+-]+)', rest)
                if not nm:
                    raise SystemExit('%s:%d: bad marker %r (expected `<!-- runnable -->` or '
                                     '`<!-- runnable needs=a,b -->`)' % (path, start, prev))
                needs = nm.group(1).split(',')
            if mark == 'not runnable' and not rest.startswith(':'):
                raise SystemExit('%s:%d: `<!-- not runnable: REASON -->` needs a reason'
                                 % (path, start))
        blocks.append(Block(path, start + 1, lang, '\n'.join(body) + '\n', mark, needs))
    return blocks


def check_markers(path, blocks, errors):
    rel = os.path.relpath(path, REPO)
    for b in blocks:
        if b.mark and b.lang not in SHELL_LANGS:
            errors.append('%s: marker on a ```%s block (only sh blocks run)' % (b.where(), b.lang))
        if rel.startswith('docs' + os.sep) and b.lang in SHELL_LANGS and not b.mark:
            errors.append('%s: sh block without `<!-- runnable -->` or `<!-- not runnable: '
                          'REASON -->`' % b.where())
    if rel == 'README.md':
        sh = [b for b in blocks if b.lang in SHELL_LANGS]
        for b in sh[:2]:
            if b.mark == 'runnable':
                errors.append('%s: the first two README commands are run by CI itself, '
                              'not by this test' % b.where())


def prepare_dir(tmp, fodns):
    shutil.copytree(os.path.join(REPO, 'zones'), os.path.join(tmp, 'zones'),
                    ignore=shutil.ignore_patterns('meson.build'))
    os.makedirs(os.path.join(tmp, 'tools'))
    shutil.copy(os.path.join(REPO, 'tools', 'fodns.service'), os.path.join(tmp, 'tools'))
    env = dict(os.environ)
    env['PATH'] = os.path.dirname(os.path.abspath(fodns)) + os.pathsep + env.get('PATH', '')
    env['FODNS_DB'] = os.path.join(tmp, 'fodns.db')
    env['HOME'] = tmp  # nothing a block writes under ~ outlives the test
    env.pop('FODNS', None)
    return env


def run_block(block, tmp, env):
    """Runs one block in its own process group. @return None or an error text."""
    missing = [t for t in block.needs if not shutil.which(t, path=env['PATH'])]
    if missing:
        return ('%s: needs %s, which is not installed (add it to tools/setup.sh)'
                % (block.where(), ', '.join(missing)))
    print('--- %s' % block.where(), flush=True)
    # Output goes to a file, not a pipe: a server the block left in the
    # background would hold a pipe open until it is killed.
    with tempfile.TemporaryFile('w+') as log:
        proc = subprocess.Popen(['bash', '-c', PRELUDE + block.text], cwd=tmp, env=env,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        timed_out = False
        try:
            proc.wait(timeout=BLOCK_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            # Servers a block started in the background must not outlive it.
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
        log.seek(0)
        out = log.read()
    sys.stdout.write(out)
    if timed_out:
        return '%s: block did not finish within %d s' % (block.where(), BLOCK_TIMEOUT_S)
    if proc.returncode == 0:
        return None
    m = re.search(r'run_docs: failed at block line (\d+)', out)
    where = block.where(int(m.group(1))) if m else block.where()
    return '%s: exit status %d' % (where, proc.returncode)


def wait_ports_free(deadline_s=60):
    end = time.monotonic() + deadline_s
    while True:
        busy = []
        for kind, port in DOC_PORTS:
            sock = socket.socket(socket.AF_INET, kind)
            if kind == socket.SOCK_STREAM:
                # TIME_WAIT left by an earlier block is fine; a listener is not.
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind(('127.0.0.1', port))
            except OSError:
                busy.append(port)
            finally:
                sock.close()
        if not busy:
            return None
        if time.monotonic() > end:
            return ('127.0.0.1 port(s) %s in use by another program: the runnable blocks '
                    'need them (docs/README.md)' % sorted(set(busy)))
        time.sleep(0.5)


def run_files(paths, fodns, shared_dir=False):
    with open(LOCK_PATH, 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        busy = wait_ports_free()
        if busy:
            return [busy], 0
        return run_files_locked(paths, fodns, shared_dir)


def run_files_locked(paths, fodns, shared_dir=False):
    """Each file in a fresh directory, or (shared_dir) all in one directory, in
    the order given, as a reader who follows page after page in one shell."""
    errors, ran = [], 0
    with tempfile.TemporaryDirectory(prefix='fodns-docs-shared-') as shared:
        shared_env = prepare_dir(shared, fodns) if shared_dir else None
        for path in paths:
            blocks = parse_blocks(path)
            check_markers(path, blocks, errors)
            runnable = [b for b in blocks if b.mark == 'runnable' and b.lang in SHELL_LANGS]
            if not runnable:
                continue
            with tempfile.TemporaryDirectory(prefix='fodns-docs-') as own:
                tmp, env = (shared, shared_env) if shared_dir else (own, prepare_dir(own, fodns))
                for b in runnable:
                    ran += 1
                    err = run_block(b, tmp, env)
                    if err:
                        errors.append(err)
                        break  # later blocks of the file build on this one
    return errors, ran


def self_test(fodns):
    """The runner itself can fail: a bad block is reported at its failing line."""
    with tempfile.TemporaryDirectory(prefix='fodns-docs-self-') as tmp:
        md = os.path.join(tmp, 'bad.md')
        with open(md, 'w') as f:
            f.write('# t\n\n<!-- runnable -->\n```sh\nfodns --version\nfalse\necho never\n```\n'
                    '\n<!-- runnable -->\n```sh\necho skipped after a failure\n```\n')
        errors, ran = run_files([md], fodns)
        assert ran == 1, ran
        assert len(errors) == 1 and errors[0].endswith('bad.md:6: exit status 1'), errors
        with open(md, 'w') as f:
            f.write('<!-- runnable -->\n```sh\nfodns zone list | grep -q nothing-here\n```\n')
        errors, _ = run_files([md], fodns)
        assert len(errors) == 1 and 'bad.md:3: exit status 1' in errors[0], errors
        with open(md, 'w') as f:
            f.write('<!-- runnable needs=no-such-tool-fodns -->\n```sh\ntrue\n```\n')
        errors, _ = run_files([md], fodns)
        assert len(errors) == 1 and 'no-such-tool-fodns' in errors[0], errors
        # A background job is killed with its block (gone, or a zombie nobody reaped yet).
        with open(md, 'w') as f:
            f.write('<!-- runnable -->\n```sh\nsleep 300 &\necho $! > pid\n```\n'
                    '<!-- runnable -->\n```sh\nst=$(ps -o stat= -p "$(cat pid)" || true)\n'
                    'case "$st" in ""|Z*) ;; *) echo "still running: $st"; exit 1;; esac\n```\n')
        errors, ran = run_files([md], fodns)
        assert ran == 2 and not errors, errors
        # --any-order's shared directory is shared: a page that trips over what
        # another left behind fails there, and passes alone.
        md2 = os.path.join(tmp, 'other.md')
        with open(md, 'w') as f:
            f.write('<!-- runnable -->\n```sh\nfodns zone import zones/example.net.zone\n```\n')
        shutil.copy(md, md2)
        errors, _ = run_files([md, md2], fodns)
        assert not errors, errors
        errors, ran = run_files([md, md2], fodns, shared_dir=True)
        assert ran == 2 and len(errors) == 1 and 'other.md:3' in errors[0], errors
    print('self-test ok')
    return 0


def main(argv):
    fodns = os.environ.get('FODNS')
    if not fodns or not os.access(fodns, os.X_OK):
        print('FODNS must name the built fodns binary', file=sys.stderr)
        return 1
    if argv[:1] == ['--self-test']:
        return self_test(fodns)
    any_order = argv[:1] == ['--any-order']
    if any_order:
        argv = argv[1:]
    paths = argv or [os.path.join(REPO, 'README.md')] + sorted(
        glob.glob(os.path.join(REPO, 'docs', '*.md')))
    if any_order:
        # Pages read in the usual order would hide one that relies on an
        # earlier page's database, or breaks a later one's: reversed, in one
        # shared directory and $FODNS_DB, each page must still pass.
        paths = list(reversed(paths))
    errors, ran = run_files(paths, fodns, shared_dir=any_order)
    print('ran %d runnable blocks from %d files' % (ran, len(paths)))
    if ran == 0 and not errors:
        errors.append('no runnable blocks found: the extraction is broken')
    for e in errors:
        print('FAIL ' + e, file=sys.stderr)
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
