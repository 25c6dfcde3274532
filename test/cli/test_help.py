"""--help of every command, discovered from the help itself, so that commands and options
added later are covered without editing this file.

Claims:
- `fodns --help` exits 0, prints on stdout only, lists the commands and the exit codes
  0/1/2/3; `fodns --version` prints "fodns X.Y.Z".
- Every command listed under "Commands:" supports `--help` (exit 0, help on stdout,
  nothing on stderr, a usage line naming the command). Every group (`fodns zone --help`)
  lists the same subcommands as the top level.
- Every option in every help has a description, and says its default ("default") or that
  it is "required". No positional argument is shown as an option.
- Every option is accepted by the parser: `CMD --opt VALUE --help` exits 0, with VALUE
  the default shown or a plausible value for its placeholder.
- Every option works against a real database: `fodns --db SEEDED CMD ARGS --opt VALUE`
  exits 0, 2 or 3, or 1 only for a reason that does not blame --opt or VALUE (e.g. an
  option that needs another); never "unknown option". Commands that keep running (serve)
  are stopped after they are ready and must exit 0. `demo` is left out of this real run:
  it binds fixed ports and has its own test.
- An option that takes a value, given none, is a usage error (exit 1) naming it.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_harness as h  # noqa: E402

# Placeholder -> a plausible value. Unknown placeholders get "1".
VALUES = {
    'N': '1', 'MS': '1000', 'DUR': '1s', 'ADDR': '127.0.0.1', 'ADDR:PORT': '127.0.0.1:0',
    'KIND': 'sip-options', 'T': 'udp', 'LIST': '200', 'URI': 'sip:ping@127.0.0.1',
    'TEXT': 'maintenance', 'LEVEL': 'info', 'RATE': '1', 'open|closed': 'open',
    'ADDR[:PORT]': '127.0.0.1:5300', 'RULE': '127.0.0.0/8', 'BASE64': 'c2VjcmV0LXNlY3JldC1zZWNyZXQhIQ==',
    'ALG': 'hmac-sha256', 'PREFIX': '127.0.0.0/8', 'LEN': '24',
}
# Gaps in files this suite's owner may not edit, reported to their owners; each is
# skipped with a note (and the note says when the gap is gone, so it can be removed here).
KNOWN_GAPS = {}
# Options whose placeholder alone does not say what exists in the seeded database.
OPTION_VALUES = {'backend': 'b1'}
# Commands that run until stopped: extra arguments that keep them off shared ports, or None
# to leave them out of the real run.
DAEMONS = {
    'serve': ['--listen', '127.0.0.1:0', '--http', 'none', '--no-probes', '--threads', '1'],
    'demo': None,
}

OPTION_LINE = re.compile(r'^\s+(?:-\w, )?--([a-z0-9][a-z0-9-]*)(?:[ =](\S+))?(?:\s{2,}(.*))?$')


def commands_of(top_help):
    """[['zone', 'import'], ['status'], ...] from the "Commands:" section."""
    cmds = []
    section = False
    for line in top_help.splitlines():
        if line.startswith('Commands:'):
            section = True
            continue
        if not section:
            continue
        if not line.startswith('  ') or not line.strip():
            if line.strip() and not line.startswith(' '):
                section = False  # the next section ("Run ...", "Exit codes ...")
            continue
        if line.startswith('    '):
            continue  # a continuation of the description above
        path = []
        for word in line.split():
            if re.fullmatch(r'[a-z][a-z0-9-]*', word):
                path.append(word)
            else:
                break
        if path:
            cmds.append(path)
    return cmds


def options_of(text):
    """{name: (placeholder or None, description)} of a cxxopts help text."""
    opts = {}
    last = None
    for line in text.splitlines():
        m = OPTION_LINE.match(line)
        if m:
            last = m.group(1)
            opts[last] = [m.group(2), (m.group(3) or '').strip()]
        elif last and line.startswith('    ') and line.strip() and not line.strip().startswith('-'):
            opts[last][1] += ' ' + line.strip()  # a wrapped description
        elif not line.strip():
            last = None
    return {k: (v[0], v[1]) for k, v in opts.items()}


def usage_words(text, path):
    """The positional placeholders of the usage line: `fodns zone import [OPTIONS] FILE`."""
    m = re.search(r'^Usage:\n\s+fodns ' + re.escape(' '.join(path)) + r'(.*)', text, re.M)
    if not m:
        return []
    words = []
    for w in m.group(1).split():
        w = w.strip('[]')
        if w in ('OPTIONS', '...') or w.startswith('-') or w.startswith('('):
            if w.startswith('('):
                break
            continue
        words.append(w)
    return words


def positional_value(path, word, tmp):
    w = word.rstrip('.')
    if w == 'FILE':
        return [h.EXAMPLE_ZONE]
    if w == 'NAME':
        if path[0] == 'backend':
            return ['b2' if path[-1] == 'add' else 'b1']
        if path[0] == 'zone':
            return ['example.net.']
        return ['sip1.example.net.']
    if w == 'ZONE':
        return ['example.net.']
    if w == 'TTL':
        return ['30']
    if w == 'TYPE':
        return ['A']
    if w == 'RDATA':
        return ['127.0.1.1']
    if w == 'SECRET':
        return ['00112233445566778899aabbccddeeff']
    return ['example.net.']


def value_for(name, placeholder, desc, tmp):
    if name in OPTION_VALUES:
        return OPTION_VALUES[name]
    m = re.search(r'\(default: ([^\s,()]+)\)', desc)
    if placeholder == 'PATH':
        return tmp.file('opt-%s.db' % name)
    if placeholder in VALUES:
        return VALUES[placeholder]
    if m:
        return m.group(1)
    return '1'


def run_daemon(args, timeout=20):
    """Starts `fodns ARGS`, waits for its "serving" log line, stops it: (code, stderr)."""
    p = subprocess.Popen([h.FODNS] + args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         env=h.env_without_db())
    err = ''
    deadline = time.time() + timeout
    os.set_blocking(p.stderr.fileno(), False)
    while time.time() < deadline and p.poll() is None:
        chunk = p.stderr.read() or b''
        err += chunk.decode(errors='replace')
        if 'msg="serving"' in err:
            break
        time.sleep(0.05)
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    os.set_blocking(p.stderr.fileno(), True)
    err += (p.stderr.read() or b'').decode(errors='replace')
    return p.returncode, err


def main():
    f = h.Failures()
    code, top, err = h.run(['--help'])
    f.check(code == 0 and top and not err, 'fodns --help: exit %d, stderr %r' % (code, err))
    for c, word in (('0', 'ok'), ('1', 'usage'), ('2', 'data'), ('3', 'runtime')):
        f.check(re.search(r'^\s+%s\s+%s' % (c, word), top, re.M), 'fodns --help: exit code %s (%s) not documented' % (c, word))
    code, out, err = h.run(['--version'])
    f.check(code == 0 and re.fullmatch(r'fodns \d+\.\d+\.\d+\S*\n', out), 'fodns --version: %d %r' % (code, out))

    cmds = commands_of(top)
    f.check(len(cmds) >= 15, 'only %d commands found in fodns --help' % len(cmds))
    print('commands:', ', '.join(' '.join(c) for c in cmds))
    groups = sorted({c[0] for c in cmds if len(c) > 1})
    for g in groups:
        code, out, err = h.run([g, '--help'])
        f.check(code == 0 and out and not err, 'fodns %s --help: exit %d stderr %r' % (g, code, err))
        listed = {l.split()[0] for l in out.splitlines() if re.match(r'^  [a-z]', l)}
        top_level = {c[1] for c in cmds if c[0] == g}
        f.check(listed == top_level, 'fodns %s --help lists %s, fodns --help lists %s' % (g, sorted(listed), sorted(top_level)))

    global_opts = options_of(top)
    helps = {(): (top, global_opts)}
    for path in cmds:
        code, out, err = h.run(path + ['--help'])
        name = 'fodns %s --help' % ' '.join(path)
        f.check(code == 0, '%s: exit %d (stderr %r)' % (name, code, err))
        f.check(not err, '%s: wrote to stderr: %r' % (name, err))
        f.check(('fodns ' + ' '.join(path)) in out, '%s: no usage line naming the command' % name)
        helps[tuple(path)] = (out, options_of(out))

    with h.TempDir() as tmp:
        seeded = h.seeded_db(tmp)
        for path, (text, opts) in helps.items():
            cmd = 'fodns %s' % ' '.join(path) if path else 'fodns'
            f.check('help' in opts, '%s --help: no --help option listed' % cmd)
            positional = [w.lower().rstrip('.') for w in usage_words(text, list(path))]
            for opt, (placeholder, desc) in opts.items():
                if opt in ('help', 'version'):
                    continue
                where = '%s --%s' % (cmd, opt)
                f.check(desc, '%s: no description' % where)
                has_default = re.search(r'default|required', desc, re.I)
                gap = KNOWN_GAPS.get((' '.join(path), opt))
                if gap:
                    print('KNOWN GAP %s: %s%s' % (where, gap, ' -- now fixed, remove it from KNOWN_GAPS' if has_default else ''))
                else:
                    f.check(has_default, '%s: no default shown (%r)' % (where, desc))
                f.check(opt not in positional, '%s: a positional argument shown as an option' % where)
                value = value_for(opt, placeholder, desc, tmp) if placeholder else None
                given = ['--' + opt] + ([value] if value is not None else [])
                # Parser: known, value well-formed.
                code, out, err = h.run(list(path) + given + ['--help'])
                f.check(code == 0, '%s %s --help: exit %d, %s' % (cmd, ' '.join(given), code, err.strip()))
                if placeholder:
                    code, out, err = h.run(list(path) + ['--' + opt])
                    f.check(code == 1 and opt in err,
                            '%s without a value: exit %d, %r (want 1, naming it)' % (where, code, err))
                if not path:
                    continue
                # The real thing, against a copy of the seeded database.
                daemon = DAEMONS.get(path[0], False)
                if daemon is None:
                    continue
                db = tmp.file('run.db')
                shutil.copy(seeded, db)
                for suffix in ('-wal', '-shm'):
                    if os.path.exists(seeded + suffix):
                        shutil.copy(seeded + suffix, db + suffix)
                args = ['--db', db] + list(path)
                for w in usage_words(text, list(path)):
                    args += positional_value(path, w, tmp)
                if daemon:
                    extra = []
                    i = 0
                    while i < len(daemon):  # the daemon's defaults, unless the option is under test
                        takes = i + 1 < len(daemon) and not daemon[i + 1].startswith('--')
                        if daemon[i] != '--' + opt:
                            extra += daemon[i:i + (2 if takes else 1)]
                        i += 2 if takes else 1
                    if opt == 'threads':
                        given = ['--threads', '1']
                    code, err = run_daemon(args + extra + given)
                    f.check(code == 0, '%s: %s exit %d: %s' % (where, ' '.join(extra + given), code, err.strip()[-300:]))
                    print('%-45s exit %d (stopped by SIGTERM once serving)' % (' '.join(args[2:] + extra + given), code))
                    continue
                code, out, err = h.run(args + given)
                # "--address is required", "--priority needs --backend": give what it asks for,
                # with its plausible value, and try again.
                tries = 0
                while code == 1 and tries < 3:
                    m = re.search(r'(?:(--[a-z0-9-]+) is required|needs (--[a-z0-9-]+))', err)
                    want = m and (m.group(1) or m.group(2))[2:]
                    if not want or want not in opts or want == opt or ('--' + want) in args:
                        break
                    ph, d = opts[want]
                    args += ['--' + want] + ([value_for(want, ph, d, tmp)] if ph else [])
                    code, out, err = h.run(args + given)
                    tries += 1
                f.check(code in (0, 1, 2, 3), '%s: exit %d' % (where, code))
                f.check(not re.search(r'does not exist|unrecogni[sz]ed|unexpected argument|unknown option', err),
                        '%s: refused as unknown: %s' % (where, err.strip()))
                if code == 1:
                    blamed = ('--%s' % opt) in err and (value is None or ("'%s'" % value) in err)
                    f.check(not blamed, '%s %s: usage error blaming it: %s' % (where, value, err.strip()))
                    f.check(len(err.strip().splitlines()) == 1, '%s: usage error of more than one line: %r' % (where, err))
                print('%-45s exit %d %s' % (' '.join(args[2:] + given), code, err.strip()[:100]))
    f.report('help coverage')


if __name__ == '__main__':
    main()
