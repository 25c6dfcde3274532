"""A --db that is not a fodns database is refused by every command (issue 14).

Claims:
- A 0-byte file, another program's SQLite database, random bytes and a directory given
  as --db: every command that opens it (zone, record, backend, rrset, status, events,
  tsig, serve; `demo` makes its own) exits 3 with a message on stderr naming the file, and the file is left exactly
  as it was (no fodns tables added to the foreign database).
- A missing file is created as a new fodns database (exit 0).
- `serve` on a fodns database whose pages are corrupt exits 3 and does not claim to be
  "still serving the last snapshot" (there is none yet).
"""

import hashlib
import os
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_harness as h  # noqa: E402

COMMANDS = [
    ['zone', 'list'],
    ['zone', 'import', h.EXAMPLE_ZONE],
    ['record', 'add', 'x.example.net.', '60', 'A', '192.0.2.1'],
    ['backend', 'list'],
    ['backend', 'add', 'b9', '--address', '127.0.1.9', '--probe', 'sip-options'],
    ['rrset', 'set', 'x.example.net.', 'A', '--ttl', '30'],
    ['status'],
    ['events'],
    ['tsig', 'list'],
    ['serve', '--listen', '127.0.0.1:0', '--http', 'none', '--no-probes'],
]


def digest(path):
    if os.path.isdir(path):
        return sorted(os.listdir(path))
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def main():
    f = h.Failures()
    with h.TempDir() as tmp:
        empty = tmp.file('empty.db')
        open(empty, 'wb').close()
        foreign = tmp.file('foreign.db')
        c = sqlite3.connect(foreign)
        c.execute('create table contacts(name text)')
        c.execute("insert into contacts values ('alice')")
        c.commit()
        c.close()
        noise = tmp.file('noise.db')
        with open(noise, 'wb') as out:
            out.write(os.urandom(8192))
        folder = tmp.file('folder.db')
        os.mkdir(folder)
        for path in (empty, foreign, noise, folder):
            before = digest(path)
            for cmd in COMMANDS:
                code, out, err = h.run(['--db', path] + cmd, timeout=60)
                what = 'fodns --db %s %s' % (os.path.basename(path), ' '.join(cmd))
                f.check(code == h.EXIT_RUNTIME, '%s: exit %d, want 3 (stderr %r)' % (what, code, err))
                f.check(path in err, '%s: the message does not name the file: %r' % (what, err))
                f.check(digest(path) == before, '%s: the file was changed' % what)
            print('refused by every command:', os.path.basename(path))
        tables = [r[0] for r in sqlite3.connect(foreign).execute(
            "select name from sqlite_master where type='table'")]
        f.check(tables == ['contacts'], 'foreign database got tables: %r' % tables)

        missing = tmp.file('new.db')
        code, out, err = h.run(['--db', missing, 'zone', 'list'])
        f.check(code == 0 and os.path.getsize(missing) > 0,
                'a missing --db is not created: exit %d %r' % (code, err))

        corrupt = tmp.file('corrupt.db')
        h.must(['--db', corrupt, 'zone', 'import', h.EXAMPLE_ZONE])
        size = os.path.getsize(corrupt)
        with open(corrupt, 'r+b') as out:  # the header and schema page stay, the rest is noise
            out.seek(8192)
            out.write(os.urandom(size - 8192))
        code, out, err = h.run(['--db', corrupt, 'serve', '--listen', '127.0.0.1:0',
                                '--http', 'none', '--no-probes'], timeout=60)
        f.check(code == h.EXIT_RUNTIME, 'serve on a corrupt database: exit %d (%r)' % (code, err))
        f.check('still serving' not in err, 'serve on a corrupt database claims to serve: %r' % err)
        f.check(corrupt in err or 'corrupt.db' in err, 'the message does not name the file: %r' % err)
    f.report('foreign --db')


if __name__ == '__main__':
    main()
