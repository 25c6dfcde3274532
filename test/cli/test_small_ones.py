"""Small CLI messages (issue 14).

Claims:
- A storage error names the command: with the file size limited (RLIMIT_FSIZE,
  SIGXFSZ ignored, as a full disk would), `fodns record add` and `fodns zone import`
  fail with exit 3 and a message starting "fodns record add: " / "fodns zone import: ",
  naming the database file.
- `record add NAME -1 A ...` is refused (exit 1) naming the TTL and its range, not
  "Option '1' does not exist"; nothing is added.
- A --sip-uri with CR/LF is refused (exit 1) with the CR and LF shown as \\r \\n:
  the message is one line.
"""

import os
import resource
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_harness as h  # noqa: E402


def limited(args, limit):
    def cap():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    p = subprocess.run([h.FODNS] + args, capture_output=True, text=True, timeout=60,
                       env=h.env_without_db(), preexec_fn=cap)
    return p.returncode, p.stdout, p.stderr


def main():
    f = h.Failures()
    with h.TempDir() as tmp:
        db = h.seeded_db(tmp)
        size = os.path.getsize(db)
        big = tmp.file('big.zone')
        with open(big, 'w') as z:
            z.write('$ORIGIN big.test.\n$TTL 300\n@ IN SOA ns1 hostmaster 1 3600 600 1209600 30\n'
                    '@ IN NS ns1\nns1 IN A 192.0.2.1\n')
            for i in range(20000):
                z.write('h%d IN TXT "%s"\n' % (i, 'x' * 200))
        code, out, err = limited(['--db', db, 'zone', 'import', big], size)
        f.check(code == h.EXIT_RUNTIME, 'zone import on a full disk: exit %d (%r)' % (code, err))
        f.check(err.startswith('fodns zone import: ') and db in err,
                'zone import on a full disk does not name the command and file: %r' % err)
        print('full disk:', err.strip())
        code, out, err = limited(['--db', db, 'record', 'add', 'r0.example.net.', '60', 'TXT',
                                  '"' + 'y' * 250 + '"'], 0)
        f.check(code == h.EXIT_RUNTIME and err.startswith('fodns record add: '),
                'record add on a full disk: exit %d %r' % (code, err))
        print('full disk:', err.strip())

        code, out, err = h.run(['--db', db, 'record', 'add', 'neg.example.net.', '-1', 'A', '192.0.2.7'])
        f.check(code == h.EXIT_USAGE, 'negative TTL: exit %d' % code)
        f.check("TTL '-1' is negative" in err and '0..2147483647' in err and 'Option' not in err,
                'negative TTL message: %r' % err)
        listed = h.must(['--db', db, 'record', 'list', 'example.net.'])
        f.check('neg.example.net.' not in listed, 'a record was added with a negative TTL')

        code, out, err = h.run(['--db', db, 'backend', 'add', 'crlf', '--address', '192.0.2.9',
                                '--probe', 'sip-options', '--sip-uri', 'sip:a\r\nVia: forged'])
        f.check(code == h.EXIT_USAGE, '--sip-uri with CR/LF: exit %d' % code)
        f.check('\r' not in err and err.count('\n') == 1 and 'sip:a\\r\\nVia: forged' in err,
                '--sip-uri message echoes raw CR/LF: %r' % err)
        code, out, err = h.run(['--db', db, 'backend', 'add', 'crlf', '--address', '192.0.2.9',
                                '--probe', 'sip-options', '--sip-uri', 'http:x\r\n'])
        f.check(code == h.EXIT_USAGE and '\r' not in err and err.count('\n') == 1,
                '--sip-uri scheme message echoes raw CR/LF: %r' % err)
    f.report('small ones')


if __name__ == '__main__':
    main()
