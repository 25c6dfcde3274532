"""Exit codes, the same for every command: 0 ok, 1 usage, 2 data error, 3 runtime.

Claims, one case or more per code:
- 0: a read-only command on a fresh database; a successful edit.
- 1: no command, unknown command, unknown option, a missing positional argument, an
  option without its value, a bad option value (CLI and `serve`). The message is on
  stderr (stdout empty), one line, and names the field at fault.
- 2: a zone file that fails validation (message FILE:LINE), an unknown zone, record and
  backend, a refused constraint (removing a backend that governs records).
- 3: a database that cannot be opened, a zone file that cannot be read, `serve` on an
  address already in use, `serve` with a database it cannot open.
"""

import os
import socket
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_harness as h  # noqa: E402


def main():
    f = h.Failures()
    with h.TempDir() as tmp:
        db = h.seeded_db(tmp)
        fresh = tmp.file('fresh.db')
        bad_zone = tmp.file('bad.zone')
        with open(bad_zone, 'w') as z:
            z.write('$ORIGIN bad.example.\n$TTL 300\n'
                    '@ IN SOA ns1 hostmaster 1 3600 600 1209600 30\n'
                    '@ IN NS ns1\n'
                    'ns1 IN A 192.0.2.1\n'
                    'www IN CNAME web\n'
                    'www IN A 192.0.2.2\n')
        # A UDP port held without SO_REUSEPORT: serve cannot bind it.
        busy = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        busy.bind(('127.0.0.1', 0))
        busy_port = busy.getsockname()[1]

        cases = [
            # (args, code, text the message must contain)
            (['--db', fresh, 'zone', 'list'], 0, None),
            (['--db', db, 'record', 'add', 'new.example.net.', '30', 'A', '192.0.2.9'], 0, None),
            ([], 1, 'COMMAND'),
            (['frobnicate'], 1, "frobnicate"),
            (['--db', db, 'zone', 'list', '--bogus'], 1, 'bogus'),
            (['--db', db, 'zone', 'rm'], 1, 'NAME'),
            (['--db', db, 'events', '--limit'], 1, 'limit'),
            (['--db', db, 'events', '--limit', 'many'], 1, '--limit'),
            (['--db', db, 'events', '--limit', '0'], 1, '--limit'),
            (['--db', db, 'zone', 'list', '--json=maybe'], 1, '--json'),
            (['--db', db, 'backend', 'set', 'b1', '--interval', '5x'], 1, '--interval'),
            (['--db', db, 'serve', '--threads', 'lots'], 1, '--threads'),
            (['--db', db, 'serve', '--threads', '0'], 1, '--threads'),
            (['--db', db, 'serve', '--log-level', 'loud'], 1, '--log-level'),
            (['--db', db, 'serve', '--log-queries', 'sometimes'], 1, '--log-queries'),
            (['--db', db, 'serve', '--listen', 'nowhere'], 1, '--listen'),
            (['--db', db, 'serve', '--bogus'], 1, 'bogus'),
            (['--db', db, 'zone', 'import', bad_zone], 2, 'bad.zone:7'),
            (['--db', db, 'zone', 'export', 'nosuch.example.'], 2, 'nosuch.example.'),
            (['--db', db, 'record', 'rm', 'nosuch.example.net.', 'A'], 2, 'nosuch.example.net.'),
            (['--db', db, 'backend', 'drain', 'nosuch'], 2, 'nosuch'),
            (['--db', db, 'backend', 'rm', 'b1'], 2, 'b1'),
            (['--db', '/nonexistent/dir/fodns.db', 'zone', 'list'], 3, '/nonexistent/dir/fodns.db'),
            (['--db', db, 'zone', 'import', tmp.file('missing.zone')], 3, 'missing.zone'),
            (['--db', db, 'serve', '--listen', '127.0.0.1:%d' % busy_port, '--http', 'none',
              '--no-probes'], 3, 'cannot start'),
            (['--db', tmp.path, 'serve', '--listen', '127.0.0.1:0', '--http', 'none'], 3, 'cannot start'),
        ]
        for args, want, text in cases:
            code, out, err = h.run(args, timeout=60)
            what = 'fodns ' + ' '.join(args)
            f.check(code == want, '%s: exit %d, want %d (stderr %r)' % (what, code, want, err))
            if want != 0:
                f.check(err.strip(), '%s: no message on stderr' % what)
            if want == 1:
                f.check(not out, '%s: usage error wrote to stdout: %r' % (what, out[:200]))
            if want == 1 and args not in ([], ['frobnicate']):  # those add the command list
                f.check(len(err.strip().splitlines()) == 1, '%s: usage message is not one line: %r' % (what, err))
            if text:
                f.check(text in err, '%s: message does not name %r: %r' % (what, text, err))
            print('exit %d  %s\n        %s' % (code, what, err.strip().splitlines()[-1] if err.strip() else ''))
        busy.close()
    f.report('exit codes')


if __name__ == '__main__':
    main()
