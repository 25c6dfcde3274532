"""End-to-end: replies leave from the address that was queried (issue 13).

fodns listens on the wildcard addresses (--listen 0.0.0.0:PORT and
[::]:PORT). A client that sends to one address accepts replies only from it
(a connected UDP socket drops anything else, as resolvers do). Claims:

1. Loopback, no namespace: queries to 127.0.0.1, 127.0.0.2 and 127.0.0.3 from
   a client whose own address is 127.0.0.1 are each answered from the address
   queried (before, every reply came from 127.0.0.1), and the same over ::1.
2. In a network namespace the test creates (root only; skipped otherwise,
   saying why): one interface (a dummy one, or the namespace's lo where the
   kernel has no dummy module) with 192.0.2.1, 192.0.2.2, 2001:db8::1 and
   2001:db8::2. A client bound to the first address of each family queries
   the second; the reply comes from the second (recvfrom shows it) and a
   connected socket receives it.
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fodns_harness as h  # noqa: E402

EN = 'example.net.'


def ask(target, port, source=None, connected=True, timeout=1.0):
    """One SOA query to `target`; returns the reply's source address, or None."""
    fam = socket.AF_INET6 if ':' in target else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_DGRAM)
    try:
        s.settimeout(timeout)
        if source:
            s.bind((source, 0))
        wire = h.make_query(EN, 'SOA')
        if connected:
            s.connect((target, port))
            s.send(wire)
            data = s.recv(4096)
            src = target  # the kernel delivers only datagrams from it
        else:
            s.sendto(wire, (target, port))
            data, addr = s.recvfrom(4096)
            src = addr[0]
        m = h.Message(data)
        return src if m.answer else None
    except (socket.timeout, OSError):
        return None
    finally:
        s.close()


def client_main(argv):
    """Run inside the namespace: `--client PORT SOURCE TARGET`; prints two results."""
    port, source, target = int(argv[0]), argv[1], argv[2]
    print(ask(target, port, source, connected=False), ask(target, port, source, connected=True))


class ReplySource(unittest.TestCase):
    def test_1_loopback_wildcard(self):
        f = h.Fodns(threads=2, serve_args=['--http', 'none'])
        for origin, path in f.zones:
            f.cli('zone', 'import', path)
        port = h.free_port(f.ipv6)
        argv = [f.exe, '--db', f.db, 'serve', '--listen', '0.0.0.0:%d' % port, '--threads', '2',
                '--http', 'none']
        if f.ipv6:
            argv += ['--listen', '[::]:%d' % port]
        f._spawn(argv)
        f.port = port
        ok = False
        try:
            self.assertTrue(h.wait_answering('127.0.0.1', port, EN, 10.0, f.proc), f.log_text())
            for target in ('127.0.0.1', '127.0.0.2', '127.0.0.3'):
                self.assertEqual(ask(target, port, connected=False), target,
                                 'reply to a query for %s came from elsewhere' % target)
                self.assertEqual(ask(target, port, connected=True), target)
            if f.ipv6:
                self.assertEqual(ask('::1', port, connected=True), '::1')
            ok = True
        finally:
            f.cleanup(failed=not ok)

    def test_2_namespace_two_addresses(self):
        if os.geteuid() != 0:
            self.skipTest('needs root to create a network namespace (ip netns add)')
        ip = shutil.which('ip')
        if ip is None:
            self.skipTest('needs iproute2 (ip)')
        ns = 'fodns-rs-%d' % os.getpid()
        if subprocess.run([ip, 'netns', 'add', ns], capture_output=True).returncode != 0:
            self.skipTest('cannot create a network namespace here')
        tmp = tempfile.mkdtemp(prefix='fodns-rs-')
        proc, ok = None, False
        try:
            def nsrun(*args):
                subprocess.run([ip, 'netns', 'exec', ns] + list(args), check=True,
                               capture_output=True, timeout=20)
            nsrun(ip, 'link', 'set', 'lo', 'up')
            # A dummy interface where the kernel has the module; else the namespace's own lo.
            dev = 'd0'
            try:
                nsrun(ip, 'link', 'add', dev, 'type', 'dummy')
                nsrun(ip, 'link', 'set', dev, 'up')
            except subprocess.CalledProcessError:
                dev = 'lo'
            for a in ('192.0.2.1/24', '192.0.2.2/24'):
                nsrun(ip, 'addr', 'add', a, 'dev', dev)
            for a in ('2001:db8::1/64', '2001:db8::2/64'):
                nsrun(ip, '-6', 'addr', 'add', a, 'dev', dev, 'nodad')
            exe = h.fodns_binary()
            db = os.path.join(tmp, 'fodns.db')
            for _, path in h.FIXTURE_ZONES[:1]:
                subprocess.run([exe, '--db', db, 'zone', 'import', path], check=True,
                               capture_output=True, timeout=60)
            log = open(os.path.join(tmp, 'serve.log'), 'wb')
            proc = subprocess.Popen([ip, 'netns', 'exec', ns, exe, '--db', db, 'serve',
                                     '--listen', '0.0.0.0:5353', '--listen', '[::]:5353',
                                     '--threads', '2', '--http', 'none'],
                                    stdout=log, stderr=log, stdin=subprocess.DEVNULL)

            def client(source, target):
                cp = subprocess.run([ip, 'netns', 'exec', ns, sys.executable, __file__, '--client',
                                     '5353', source, target], capture_output=True, text=True,
                                    timeout=30)
                return cp.stdout.split()

            end = time.time() + 10
            while time.time() < end and client('192.0.2.1', '192.0.2.1') != ['192.0.2.1'] * 2:
                time.sleep(0.2)
            for source, target in (('192.0.2.1', '192.0.2.2'), ('2001:db8::1', '2001:db8::2'),
                                   ('192.0.2.2', '192.0.2.1')):
                self.assertEqual(client(source, target), [target, target],
                                 'query from %s to %s' % (source, target))
            ok = True
        finally:
            if proc is not None:
                proc.terminate()
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(5)
            if proc is not None:
                log.close()
            subprocess.run([ip, 'netns', 'del', ns], capture_output=True)
            if not ok:
                try:
                    with open(os.path.join(tmp, 'serve.log'), errors='replace') as f:
                        sys.stderr.write(f.read()[-4000:])
                except OSError:
                    pass
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    if len(sys.argv) > 1 and sys.argv[1] == '--client':
        client_main(sys.argv[2:])
    else:
        unittest.main(verbosity=2)
