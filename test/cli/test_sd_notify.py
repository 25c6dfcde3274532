"""sd_notify readiness of `fodns serve` (systemd Type=notify).

Claims:
- With NOTIFY_SOCKET set, serve sends STATUS= while loading, then READY=1 (with a STATUS=
  naming what it serves) only once DNS answers: a query sent right after READY=1 arrives
  is answered at once (dig, one try), over UDP and TCP.
- On SIGTERM it sends STOPPING=1 and exits 0.
- Without NOTIFY_SOCKET nothing breaks (the other tests run serve that way).
"""

import os
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_harness as h  # noqa: E402


def main():
    f = h.Failures()
    with h.TempDir() as tmp:
        db = h.seeded_db(tmp)
        path = tmp.file('notify.sock')
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(path)
        sock.settimeout(30)
        env = h.env_without_db()
        env['NOTIFY_SOCKET'] = path
        port = h.free_port()
        err = open(tmp.file('serve.log'), 'w')
        p = subprocess.Popen([h.FODNS, '--db', db, 'serve', '--listen', '127.0.0.1:%d' % port,
                              '--http', 'none', '--no-probes', '--threads', '2'],
                             stdout=subprocess.DEVNULL, stderr=err, env=env)
        messages = []
        ready = False
        try:
            while not ready:
                data = sock.recv(4096).decode()
                messages.append(data)
                ready = 'READY=1' in data.split('\n')
            # Right now, with no retry: the answer must come.
            udp = h.dig_status(port, 'sip.example.net.', 'A')
            tcp = h.dig_status(port, '_sip._udp.example.net.', 'SRV', tcp=True)
            f.check(udp == 'NOERROR', 'UDP right after READY=1: %r' % udp)
            f.check(tcp == 'NOERROR', 'TCP right after READY=1: %r' % tcp)
        except socket.timeout:
            f.check(False, 'no READY=1 within 30 s; got %r' % messages)
        f.check(any(m.startswith('STATUS=loading') for m in messages), 'no STATUS=loading before READY: %r' % messages)
        if ready:
            f.check('STATUS=serving' in messages[-1], 'READY=1 without STATUS=serving: %r' % messages[-1])
        p.send_signal(signal.SIGTERM)
        stopping = []
        try:
            while not any('STOPPING=1' in m for m in stopping):
                stopping.append(sock.recv(4096).decode())
        except socket.timeout:
            pass
        f.check(any('STOPPING=1' in m for m in stopping), 'no STOPPING=1 after SIGTERM: %r' % stopping)
        code = p.wait(20)
        err.close()
        f.check(code == 0, 'serve exit %d after SIGTERM' % code)
        print('notifications:', messages + stopping)
        sock.close()
    f.report('sd_notify')


if __name__ == '__main__':
    main()
