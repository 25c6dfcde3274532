#!/usr/bin/env python3
"""`fodns serve` keeps the Type=notify contract tools/fodns.service relies on.

Without systemd at hand, the test plays its part: it binds the AF_UNIX
datagram socket that systemd would pass in NOTIFY_SOCKET and reads what
fodns sends there (sd_notify(3)).

Claims:
- `fodns serve` sends READY=1, and when it does, a DNS query is answered at
  once (the unit's `systemctl start` returns only then).
- On SIGTERM (`systemctl stop`) it sends STOPPING=1 and exits 0.
- Without NOTIFY_SOCKET it runs as before (nothing to notify, no error).
A fodns built without libsystemd (optional in meson.build) is skipped (77).
"""

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'integration'))
import fodns_harness as h  # noqa: E402


def messages(sock, deadline):
    """Yields each datagram's fields (a dict) until the deadline."""
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            data = sock.recv(4096).decode()
        except socket.timeout:
            return
        yield dict(line.split('=', 1) for line in data.splitlines() if '=' in line)


def main():
    exe = os.environ['FODNS']
    with open(exe, 'rb') as f:
        if b'READY=1' not in f.read():
            # libsystemd is optional in meson.build; tools/setup.sh installs it, so CI
            # builds have it. Without it Type=notify cannot work (docs/systemd.md).
            print('SKIP: this fodns was built without sd_notify (no libsystemd-dev)')
            return 77
    with tempfile.TemporaryDirectory(prefix='fodns-notify-') as tmp:
        db = os.path.join(tmp, 'fodns.db')
        subprocess.run([exe, '--db', db, 'zone', 'import',
                        os.path.join(REPO, 'zones', 'office.example.com.zone')],
                       check=True, capture_output=True)
        sock_path = os.path.join(tmp, 'notify')
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(sock_path)
        port = h.free_port(ipv6=False)
        env = dict(os.environ, NOTIFY_SOCKET=sock_path)
        proc = subprocess.Popen([exe, '--db', db, 'serve', '--threads', '1', '--http', 'none',
                                 '--listen', '127.0.0.1:%d' % port], env=env,
                                stderr=subprocess.DEVNULL)
        try:
            ready = None
            for msg in messages(sock, time.monotonic() + 15):
                if msg.get('READY') == '1':
                    ready = msg
                    break
            assert ready is not None, 'no READY=1 within 15 s'
            # Answered the moment READY=1 arrived: no retry loop here.
            m = h.query('127.0.0.1', port, 'office.example.com.', 'SOA', timeout=1.0)
            assert m is not None and m.rcode == h.NOERROR and m.answer, 'no answer after READY'
            print('READY=1 with STATUS=%r; answered at once' % ready.get('STATUS'))
            proc.send_signal(signal.SIGTERM)
            stopping = any(msg.get('STOPPING') == '1'
                           for msg in messages(sock, time.monotonic() + 5))
            assert stopping, 'no STOPPING=1 after SIGTERM'
            assert proc.wait(timeout=5) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            sock.close()

        # No NOTIFY_SOCKET: a plain start and stop.
        env = {k: v for k, v in os.environ.items() if k != 'NOTIFY_SOCKET'}
        proc = subprocess.Popen([exe, '--db', db, 'serve', '--threads', '1', '--http', 'none',
                                 '--listen', '127.0.0.1:%d' % port], env=env,
                                stderr=subprocess.DEVNULL)
        try:
            assert h.wait_answering('127.0.0.1', port, 'office.example.com.', 10, proc)
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=5) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
    print('ok')
    return 0


if __name__ == '__main__':
    sys.exit(main())
