"""Shared helpers of the CLI tests (stdlib only).

- run(): `$FODNS ARGS...` with a timeout, returning (code, stdout, stderr).
- seeded_db(): a temp database holding zones/example.net.zone and a backend `b1`
  that governs sip1.example.net. A, so that every command has something to act on.
- Server: `fodns serve` on 127.0.0.1 with a free port (retried on bind failure),
  `--http none`, ready when dig gets an answer (or, with quiet=True, when it logs
  msg="serving", so that no query reaches it before the test's own); stop() sends SIGTERM.
- dig(): `dig +norec +time=2 +tries=1 @127.0.0.1 -p PORT ...` (+tcp optional).
- parse_logfmt(): one log line -> dict, failing if any field is not key=value.
"""

import os
import random
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
EXAMPLE_ZONE = os.path.join(REPO, 'zones', 'example.net.zone')
FODNS = os.environ.get('FODNS') or os.path.join(REPO, 'build', 'src', 'fodns')

EXIT_OK, EXIT_USAGE, EXIT_DATA, EXIT_RUNTIME = 0, 1, 2, 3


def env_without_db():
    env = dict(os.environ)
    env.pop('FODNS_DB', None)
    env.pop('NOTIFY_SOCKET', None)
    return env


def run(args, timeout=30, env=None, stdin=subprocess.DEVNULL):
    p = subprocess.run([FODNS] + list(args), capture_output=True, text=True, timeout=timeout,
                       env=env or env_without_db(), stdin=stdin)
    return p.returncode, p.stdout, p.stderr


class TempDir:
    def __init__(self, prefix='fodns-cli-'):
        self.path = tempfile.mkdtemp(prefix=prefix)

    def file(self, name):
        return os.path.join(self.path, name)

    def close(self):
        shutil.rmtree(self.path, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def must(args, **kw):
    code, out, err = run(args, **kw)
    if code != 0:
        raise AssertionError('fodns %s: exit %d\nstdout: %s\nstderr: %s' % (' '.join(args), code, out, err))
    return out


def seeded_db(tmp):
    db = tmp.file('seeded.db')
    must(['--db', db, 'zone', 'import', EXAMPLE_ZONE])
    must(['--db', db, 'backend', 'add', 'b1', '--address', '127.0.1.1', '--probe', 'sip-options'])
    must(['--db', db, 'record', 'set-backend', 'sip1.example.net.', 'A', '127.0.1.1',
          '--backend', 'b1'])
    return db


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def dig(port, name, qtype='A', tcp=False, extra=()):
    args = ['dig', '+norec', '+time=2', '+tries=1', '@127.0.0.1', '-p', str(port), name, qtype]
    if tcp:
        args.append('+tcp')
    args += list(extra)
    return subprocess.run(args, capture_output=True, text=True, timeout=10).stdout


def dig_status(port, name, qtype='A', tcp=False):
    m = re.search(r'status: (\w+)', dig(port, name, qtype, tcp))
    return m.group(1) if m else None


class Server:
    """`fodns --db DB serve --listen 127.0.0.1:PORT --http none --no-probes EXTRA...`."""

    def __init__(self, db, extra=(), env=None, threads=1, wait=True, quiet=False):
        self.quiet = quiet
        self.db = db
        self.stderr_path = db + '.serve.log'
        for _ in range(5):
            self.port = free_port()
            self.err = open(self.stderr_path, 'w')
            args = [FODNS, '--db', db, 'serve', '--listen', '127.0.0.1:%d' % self.port,
                    '--http', 'none', '--no-probes', '--threads', str(threads)] + list(extra)
            self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=self.err,
                                         env=env or env_without_db())
            if not wait:
                return
            if self.wait_ready():
                return
            self.stop()
            if 'in use' not in self.log():
                break
        raise AssertionError('fodns serve did not start:\n' + self.log())

    def wait_ready(self, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                return False
            if self.quiet:
                if 'msg="serving"' in self.log():
                    return True
            elif dig_status(self.port, 'example.net.', 'SOA') is not None:
                return True
            time.sleep(0.1)
        return False

    def log(self):
        with open(self.stderr_path) as f:
            return f.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.err.close()
        return self.proc.returncode


# key=value, where value is bare (no blank, quote or '=') or a double-quoted string with
# backslash escapes.
_FIELD = re.compile(r'([a-z_][a-z0-9_.]*)=("(?:[^"\\]|\\.)*"|[^\s"=]+)')


def parse_logfmt(line):
    """Fields of one log line; AssertionError if the line is not entirely key=value."""
    fields = {}
    pos = 0
    line = line.rstrip('\n')
    while pos < len(line):
        m = _FIELD.match(line, pos)
        if not m:
            raise AssertionError('not key=value at column %d: %r' % (pos, line))
        value = m.group(2)
        if value.startswith('"'):
            value = re.sub(r'\\(.)', lambda e: {'n': '\n', 't': '\t', 'r': '\r'}.get(e.group(1), e.group(1)),
                           value[1:-1])
        fields[m.group(1)] = value
        pos = m.end()
        if pos < len(line):
            if line[pos] != ' ':
                raise AssertionError('no blank after a field at column %d: %r' % (pos, line))
            pos += 1
    for key in ('ts', 'level', 'msg'):
        if key not in fields:
            raise AssertionError('no %s= in %r' % (key, line))
    return fields


def log_events(text):
    """Every line of `text` parsed as a log event."""
    return [parse_logfmt(l) for l in text.splitlines() if l.strip()]


class Failures:
    """Collects failed checks so that one run reports all of them."""

    def __init__(self):
        self.items = []

    def check(self, cond, message):
        if not cond:
            self.items.append(message)

    def report(self, what):
        if self.items:
            for m in self.items:
                print('FAIL:', m)
            raise SystemExit('%s: %d failure(s)' % (what, len(self.items)))
        print('%s: ok' % what)
