#!/usr/bin/env python3
"""`fodns demo` does what README.md and the demo's banner say it does.

Claims, checked with dig against the running demo (on free ports, so a real
demo on 5353/9153 is never disturbed), with a 10 s cycle and 4 s outage:
- The banner prints dig commands for the port given and the cycle/outage.
- While the primary answers: `sip.example.net A` is the primary's address
  only, and `_sip._udp SRV` names both sip1 (primary) and sip2 (backup).
- While the primary is down: the primary's address leaves the A answer and the
  backup's takes its place; the SRV answer keeps the backup target only; the
  SOA serial moved on; /metrics says fodns_backend_up{backend="sip1"} 0.
- When the primary comes back: the A answer is the primary's again, SRV names
  both again, and the demo printed the state changes and the answers
  (`sip1: up -> down`, `sip.example.net A -> 127.0.1.2`, `sip1: down -> up`).
- SIGINT (Ctrl-C) stops it with exit 0 within 5 s, it says it removed its
  temporary directory, the directory is gone, and its ports are free again.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'integration'))
import fodns_harness as h  # noqa: E402

PRIMARY, BACKUP = '127.0.1.1', '127.0.1.2'
CYCLE_S, DOWN_S = 10, 4  # the primary fails 6 s after start: time to check the "up" answers first


def free_sip_port():
    """A UDP port free on both responder addresses (and DNS/HTTP are elsewhere)."""
    for _ in range(50):
        port = h.free_port(ipv6=False)
        socks = []
        try:
            for a in (PRIMARY, BACKUP):
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                socks.append(s)
                s.bind((a, port))
            return port
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError('no free SIP port')


def dig_short(port, *args):
    cp = subprocess.run(['dig', '+norec', '+time=1', '+tries=1', '+short', '@127.0.0.1',
                         '-p', str(port)] + list(args), capture_output=True, text=True, timeout=10)
    if cp.returncode != 0:
        return None
    return sorted(cp.stdout.split('\n')[:-1])


def a_answer(port):
    return dig_short(port, 'sip.example.net', 'A')


def srv_targets(port):
    out = dig_short(port, '_sip._udp.example.net', 'SRV')
    return None if out is None else sorted(line.split()[3] for line in out)


def serial(port):
    out = dig_short(port, 'example.net', 'SOA')
    return int(out[0].split()[2]) if out else None


def metric(http_port, name, **labels):
    body = urllib.request.urlopen('http://127.0.0.1:%d/metrics' % http_port, timeout=3).read()
    want = name + '{' + ','.join('%s="%s"' % kv for kv in labels.items()) + '}'
    for line in body.decode().splitlines():
        if line.startswith(want + ' '):
            return float(line.split()[1])
    return None


def wait_until(what, pred, timeout, proc):
    val, waited = h.wait_for(pred, timeout=timeout, interval=0.1)
    if not val:
        raise AssertionError('%s: not seen within %.1f s (demo alive: %s)'
                             % (what, waited, proc.poll() is None))
    return waited


def port_free(port, addr='127.0.0.1', kind=socket.SOCK_DGRAM):
    s = socket.socket(socket.AF_INET, kind)
    if kind == socket.SOCK_STREAM:
        # A TCP connection of ours left in TIME_WAIT is not a listener; a
        # listener still makes this bind fail.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind((addr, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def start_demo(out):
    """Starts the demo on free ports; retries when a port was taken meanwhile."""
    for _ in range(5):
        dns, http, sip = h.free_port(ipv6=False), h.free_port(ipv6=False), free_sip_port()
        out.seek(0)
        out.truncate()
        proc = subprocess.Popen(
            [os.environ['FODNS'], 'demo', '--dns', '127.0.0.1:%d' % dns, '--http',
             '127.0.0.1:%d' % http, '--sip-port', str(sip), '--cycle', str(CYCLE_S),
             '--down', str(DOWN_S)], stdout=out, stderr=subprocess.STDOUT)
        if h.wait_answering('127.0.0.1', dns, 'example.net.', deadline_s=10, proc=proc):
            return proc, dns, http, sip
        proc.kill()
        proc.wait()
    raise RuntimeError('demo did not come up:\n' + read(out))


def read(out):
    out.flush()
    with open(out.name) as f:
        return f.read()


def main():
    with tempfile.NamedTemporaryFile('w+', prefix='fodns-demo-test-') as out:
        proc, dns, http, sip = start_demo(out)
        try:
            run(proc, dns, http, sip, out)
        except BaseException:
            print(read(out))
            raise
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    print('ok')
    return 0


def run(proc, dns, http, sip, out):
    banner = read(out)
    assert 'dig @127.0.0.1 -p %d sip.example.net' % dns in banner, banner
    assert ('%d s from now, and every %d s after that, the primary stops answering for %d s'
            % (CYCLE_S - DOWN_S, CYCLE_S, DOWN_S)) in banner, banner
    assert '%s:%d (primary)' % (PRIMARY, sip) in banner, banner
    m = re.search(r'database (/tmp/fodns-demo-\S+)/demo\.db', banner)
    assert m, banner
    tmpdir = m.group(1)
    assert os.path.isdir(tmpdir)

    # Primary up: the first probe round decides before the first answer.
    assert a_answer(dns) == [PRIMARY], a_answer(dns)
    assert srv_targets(dns) == ['sip1.example.net.', 'sip2.example.net.'], srv_targets(dns)
    serial_up = serial(dns)

    # The primary stops CYCLE_S - DOWN_S s after start; fall=2 at 500 ms, and a
    # closed UDP port is refused at once, so ~1 s later it is out.
    t = wait_until('primary leaves the A answer', lambda: a_answer(dns) == [BACKUP],
                   CYCLE_S + 5, proc)
    print('primary out of the answer after %.1f s of waiting' % t)
    assert srv_targets(dns) == ['sip2.example.net.'], srv_targets(dns)
    assert serial(dns) > serial_up
    assert metric(http, 'fodns_backend_up', backend='sip1') == 0
    assert metric(http, 'fodns_backend_up', backend='sip2') == 1
    assert metric(http, 'fodns_backend_failovers_total', backend='sip1', direction='down') >= 1

    t = wait_until('primary returns', lambda: a_answer(dns) == [PRIMARY], DOWN_S + 6, proc)
    print('primary back in the answer after %.1f s of waiting' % t)
    assert srv_targets(dns) == ['sip1.example.net.', 'sip2.example.net.'], srv_targets(dns)

    text = read(out)
    first = text.split('demo: primary SIP responder %s stopped' % PRIMARY)[0]
    assert first.count('sip.example.net A -> ') == 1, 'the first answer printed twice:\n' + first
    for claim in ('sip1: up -> down', 'sip.example.net A -> %s' % BACKUP,
                  'demo: primary SIP responder %s stopped' % PRIMARY,
                  'demo: primary SIP responder %s started again' % PRIMARY,
                  'sip1: down -> up', 'sip.example.net A -> %s' % PRIMARY):
        assert claim in text, 'demo output lacks %r' % claim

    proc.send_signal(signal.SIGINT)
    rc = proc.wait(timeout=5)
    text = read(out)
    assert rc == 0, rc
    assert 'demo: stopped; removed %s' % tmpdir in text, text
    assert not os.path.exists(tmpdir), tmpdir
    for port, addr, kind in ((dns, '127.0.0.1', socket.SOCK_DGRAM),
                             (dns, '127.0.0.1', socket.SOCK_STREAM),
                             (http, '127.0.0.1', socket.SOCK_STREAM),
                             (sip, PRIMARY, socket.SOCK_DGRAM), (sip, BACKUP, socket.SOCK_DGRAM)):
        assert port_free(port, addr, kind), 'port %s:%d still taken after exit' % (addr, port)


if __name__ == '__main__':
    sys.exit(main())
