"""End-to-end tests of the HTTP side of `fodns serve --http` (issue 4).

fodns serves zones/example.net.zone on 127.0.0.1 (random port, 2 threads) and
HTTP on 127.0.0.1 (random port). A SIP peer written here (UDP,
127.0.1.61:5060, answers 200 or stays silent) is the backend `sip-a`
(sip-options, interval 200ms, timeout 150ms, rise 2, fall 2) governing
`mpool.example.net. A 127.0.1.61`. Claims:

- /metrics is valid Prometheus text (`promtool check metrics`, skipped
  without promtool) with Content-Type text/plain; version=0.0.4.
- Counters move by exactly what was sent: dig queries by type (A, AAAA, SRV,
  NAPTR, MX, TXT) over UDP and TCP move fodns_dns_queries_by_type_total{qtype}
  and fodns_dns_queries_total{transport}; queries for missing names move
  fodns_dns_responses_total{rcode="NXDOMAIN"} by their number; NOERROR by
  the rest.
- A backend flip is counted: peer silent -> `sip-a` down, fodns_backend_up 0,
  fodns_backend_state{state="down"} 1, failovers{direction="down"} +1, and
  /status says down; peer answering again -> up, failovers{direction="up"} +1.
- /healthz answers 200 "ok\n"; /status is JSON of the shape of
  `fodns status --json` (same keys), with the zone serial equal to the SOA
  serial served.
- Unknown paths 404, POST/PUT/DELETE 405 with Allow: GET, HEAD; HEAD has no body.
- Bad HTTP input does not stop DNS answers or other scrapes: garbage bytes,
  oversized headers (431 or closed), 40 silent clients (from 127.0.0.2, held
  open: dropped by the server within its 10 s timeout) and 200 connections at
  once (from 127.0.0.3). During all of it, SOA queries are answered and
  scrapes from 127.0.0.1 succeed.
- tools/grafana-dashboard.json parses and every fodns_* metric its queries
  use exists in a real scrape.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import unittest
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fodns_harness as h  # noqa: E402

EN = 'example.net.'
POOL = 'mpool.example.net.'
PEER = '127.0.1.61'
PROBE = ['--interval', '200ms', '--timeout', '150ms', '--rise', '2', '--fall', '2']
DASHBOARD = os.path.join(h.REPO, 'tools', 'grafana-dashboard.json')


def sip_reply(req):
    """A 200 to an OPTIONS request (text): Via/From/To/Call-ID/CSeq copied."""
    out = ['SIP/2.0 200 OK']
    for line in req.split('\r\n')[1:]:
        if not line:
            break
        k = line.split(':', 1)[0].strip().lower()
        if k in ('via', 'v', 'from', 'f', 'call-id', 'i', 'cseq'):
            out.append(line)
        elif k in ('to', 't'):
            out.append(line + ';tag=metrics')
    out += ['Content-Length: 0', '', '']
    return '\r\n'.join(out).encode()


class Peer(threading.Thread):
    def __init__(self, addr):
        super().__init__(daemon=True)
        self.answer = True
        self.stopping = False
        last = None
        for _ in range(50):  # a previous test's socket may still hold the address
            try:
                self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                self.sock.bind((addr, 5060))
                break
            except OSError as e:
                self.sock.close()
                last = e
                time.sleep(0.1)
        else:
            raise RuntimeError('cannot bind %s:5060: %s' % (addr, last))
        self.sock.settimeout(0.1)

    def run(self):
        while not self.stopping:
            try:
                data, src = self.sock.recvfrom(65535)
            except socket.timeout:
                continue
            except OSError:
                break
            if self.answer:
                try:
                    self.sock.sendto(sip_reply(data.decode('latin-1')), src)
                except OSError:
                    pass

    def stop(self):
        self.stopping = True
        self.join(5)
        self.sock.close()


def parse_metrics(text):
    """{(name, frozenset(labels)): value} and the set of family names (# TYPE)."""
    samples, families = {}, set()
    for line in text.splitlines():
        if line.startswith('# TYPE '):
            families.add(line.split()[2])
            continue
        if not line or line.startswith('#'):
            continue
        head, _, value = line.rpartition(' ')
        name, labels = head, frozenset()
        if '{' in head:
            name, rest = head.split('{', 1)
            labels = frozenset((k, v.strip('"')) for k, v in
                               re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)=("(?:[^"\\]|\\.)*")',
                                          rest))
        samples[(name, labels)] = float(value)
    return samples, families


def http_get(port, path, method='GET', timeout=5, source=None, data=None):
    """(status, headers dict, body bytes) with a raw socket; status 0 when closed."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        if source:
            s.bind((source, 0))
        s.settimeout(timeout)
        s.connect(('127.0.0.1', port))
        req = '%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n' % (method, path)
        if data is not None:
            req += 'Content-Length: %d\r\n' % len(data)
        s.sendall(req.encode() + b'\r\n' + (data or b''))
        raw = b''
        while True:
            try:
                chunk = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            raw += chunk
    finally:
        s.close()
    head, _, body = raw.partition(b'\r\n\r\n')
    lines = head.decode('latin-1').split('\r\n')
    status = int(lines[0].split()[1]) if lines[0].startswith('HTTP/1.') else 0
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(':')
        headers[k.strip().lower()] = v.strip()
    return status, headers, body


def dig_status(port, name, qtype, tcp=False):
    """The rcode name dig saw, or with no dig the harness's raw client."""
    if shutil.which('dig'):
        r = h.dig('127.0.0.1', port, name, qtype, tcp=tcp)
        return r[0]
    m = h.query('127.0.0.1', port, name, qtype, tcp=tcp, timeout=2.0)
    return None if m is None else h.rcode_name(m.rcode)


class MetricsTest(unittest.TestCase):
    f = None

    @classmethod
    def setUpClass(cls):
        exe = h.fodns_binary()
        if not h.fodns_serve_has_option(exe, '--http'):
            raise unittest.SkipTest('fodns serve has no --http option yet')
        cls.peer = Peer(PEER)
        cls.peer.start()
        cls.f = h.FailoverFodns(zones=[(EN, os.path.join(h.ZONES, 'example.net.zone'))])
        try:
            cls.f.import_zones()
            cls.f.cli('backend', 'add', 'sip-a', '--address', PEER, '--probe', 'sip-options',
                      *PROBE)
            cls.f.cli('record', 'add', POOL, '20', 'A', PEER, '--backend', 'sip-a')
            cls.f.serve()
        except Exception:
            cls.f.cleanup(failed=True)
            cls.peer.stop()
            raise
        cls.failed = False
        # The first probe round ran before serving; wait until sip-a is up.
        val, _ = h.wait_for(lambda: cls.backend('sip-a').get('state') == 'up', 10)
        if not val:
            cls.failed = True

    @classmethod
    def tearDownClass(cls):
        if cls.f is not None:
            cls.f.cleanup(failed=cls.failed)
        cls.peer.stop()

    def run(self, result=None):
        result = super().run(result)
        if result is not None and (result.failures or result.errors):
            type(self).failed = True
        return result

    # --- helpers ------------------------------------------------------------
    @classmethod
    def get(cls, path, **kw):
        return http_get(cls.f.http_port, path, **kw)

    @classmethod
    def status(cls):
        code, _, body = cls.get('/status')
        assert code == 200, code
        return json.loads(body)

    @classmethod
    def backend(cls, name):
        for b in cls.status()['backends']:
            if b['name'] == name:
                return b
        return {}

    def scrape(self):
        code, headers, body = self.get('/metrics')
        self.assertEqual(code, 200)
        return parse_metrics(body.decode())

    def value(self, samples, name, **labels):
        return samples.get((name, frozenset(labels.items())), 0.0)

    def soa_ok(self):
        m = self.f.query(EN, 'SOA', timeout=1.0)
        return m is not None and m.rcode == h.NOERROR and bool(m.answer)

    # --- tests --------------------------------------------------------------
    def test_exposition_is_valid(self):
        code, headers, body = self.get('/metrics')
        self.assertEqual(code, 200)
        self.assertTrue(headers['content-type'].startswith('text/plain; version=0.0.4'),
                        headers)
        text = body.decode()
        for fam in ('fodns_dns_queries_total', 'fodns_backend_up', 'fodns_zone_serial',
                    'fodns_probe_rtt_seconds', 'fodns_build_info'):
            self.assertIn('# TYPE %s ' % fam, text)
        promtool = shutil.which('promtool')
        if not promtool:
            self.skipTest('promtool not installed (Debian package prometheus)')
        cp = subprocess.run([promtool, 'check', 'metrics'], input=body, capture_output=True,
                            timeout=60)
        self.assertEqual(cp.returncode, 0, (cp.stdout + cp.stderr).decode())

    def test_counters_move_by_what_was_sent(self):
        sent = [  # (name, qtype, tcp, expected rcode)
            ('sip.example.net.', 'A', False, 'NOERROR'),
            ('sip1.example.net.', 'A', False, 'NOERROR'),
            ('web.example.net.', 'A', False, 'NOERROR'),
            ('sip.example.net.', 'AAAA', False, 'NOERROR'),
            ('ns2.example.net.', 'AAAA', False, 'NOERROR'),
            ('_sip._udp.example.net.', 'SRV', False, 'NOERROR'),
            ('_sip._tcp.example.net.', 'SRV', False, 'NOERROR'),
            ('_sips._tcp.example.net.', 'SRV', False, 'NOERROR'),
            ('example.net.', 'NAPTR', False, 'NOERROR'),
            ('example.net.', 'MX', False, 'NOERROR'),
            ('x.phones.example.net.', 'TXT', False, 'NOERROR'),
            ('sip2.example.net.', 'A', True, 'NOERROR'),
            ('example.net.', 'NAPTR', True, 'NOERROR'),
            ('nope1.example.net.', 'A', False, 'NXDOMAIN'),
            ('nope2.example.net.', 'A', False, 'NXDOMAIN'),
            ('nope3.example.net.', 'SRV', False, 'NXDOMAIN'),
            ('nope4.example.net.', 'AAAA', True, 'NXDOMAIN'),
        ]
        before, _ = self.scrape()
        for name, qtype, tcp, rcode in sent:
            self.assertEqual(dig_status(self.f.port, name, qtype, tcp), rcode, (name, qtype))
        after, _ = self.scrape()

        def delta(name, **labels):
            return self.value(after, name, **labels) - self.value(before, name, **labels)

        for qtype in ('A', 'AAAA', 'SRV', 'NAPTR', 'MX', 'TXT', 'NS', 'other'):
            want = sum(1 for s in sent if s[1] == qtype)
            self.assertEqual(delta('fodns_dns_queries_by_type_total', qtype=qtype), want, qtype)
        self.assertEqual(delta('fodns_dns_queries_total', transport='udp'),
                         sum(1 for s in sent if not s[2]))
        self.assertEqual(delta('fodns_dns_queries_total', transport='tcp'),
                         sum(1 for s in sent if s[2]))
        self.assertEqual(delta('fodns_dns_responses_total', rcode='NXDOMAIN'),
                         sum(1 for s in sent if s[3] == 'NXDOMAIN'))
        self.assertEqual(delta('fodns_dns_responses_total', rcode='NOERROR'),
                         sum(1 for s in sent if s[3] == 'NOERROR'))
        self.assertGreater(delta('fodns_dns_response_bytes_total'), 0)
        self.assertGreaterEqual(delta('fodns_dns_tcp_connections_total'), 3)

    def test_failover_is_counted(self):
        def up():
            return self.value(self.scrape()[0], 'fodns_backend_up', backend='sip-a')

        self.assertTrue(h.wait_for(lambda: up() == 1, 10)[0], self.status())
        before, _ = self.scrape()
        try:
            self.peer.answer = False
            val, took = h.wait_for(lambda: self.backend('sip-a').get('state') == 'down', 10)
            self.assertTrue(val, self.status())
            m, _ = self.scrape()
            self.assertEqual(self.value(m, 'fodns_backend_up', backend='sip-a'), 0)
            self.assertEqual(self.value(m, 'fodns_backend_state', backend='sip-a', state='down'),
                             1)
            self.assertEqual(self.value(m, 'fodns_backend_state', backend='sip-a', state='up'), 0)
            self.assertEqual(
                self.value(m, 'fodns_backend_failovers_total', backend='sip-a',
                           direction='down') -
                self.value(before, 'fodns_backend_failovers_total', backend='sip-a',
                           direction='down'), 1)
            self.assertGreater(
                self.value(m, 'fodns_probe_checks_total', backend='sip-a', result='timeout'),
                self.value(before, 'fodns_probe_checks_total', backend='sip-a',
                           result='timeout'))
        finally:
            self.peer.answer = True
        val, _ = h.wait_for(lambda: self.backend('sip-a').get('state') == 'up', 10)
        self.assertTrue(val, self.status())
        m, _ = self.scrape()
        self.assertEqual(self.value(m, 'fodns_backend_up', backend='sip-a'), 1)
        self.assertEqual(
            self.value(m, 'fodns_backend_failovers_total', backend='sip-a', direction='up') -
            self.value(before, 'fodns_backend_failovers_total', backend='sip-a',
                       direction='up'), 1)
        self.assertGreater(self.value(m, 'fodns_probe_rtt_seconds_count', backend='sip-a'), 0)

    def test_healthz_and_status(self):
        code, headers, body = self.get('/healthz')
        self.assertEqual((code, body), (200, b'ok\n'))
        code, headers, body = self.get('/status')
        self.assertEqual(code, 200)
        self.assertTrue(headers['content-type'].startswith('application/json'))
        st = json.loads(body)
        cli = self.f.status()  # `fodns status --json`
        self.assertEqual(set(st), set(cli))
        b = [x for x in st['backends'] if x['name'] == 'sip-a'][0]
        cb = [x for x in cli['backends'] if x['name'] == 'sip-a'][0]
        self.assertEqual(set(b), set(cb))
        self.assertEqual((b['address'], b['port'], b['probe'], b['transport']),
                         (PEER, 5060, 'sip-options', 'udp'))
        self.assertIn(b['state'], ('up', 'down', 'unknown', 'drained'))
        z = [x for x in st['zones'] if x['name'] == EN][0]
        self.assertEqual(set(z), set(cli['zones'][0]))
        self.assertEqual(z['serial'], self.f.soa_serial(EN))
        m, _ = self.scrape()
        self.assertEqual(self.value(m, 'fodns_zone_serial', zone=EN), z['serial'])
        self.assertEqual(self.value(m, 'fodns_snapshot_loaded'), 1)

    def test_routes_and_methods(self):
        self.assertEqual(self.get('/')[0], 404)
        self.assertEqual(self.get('/metrics/x')[0], 404)
        for method in ('POST', 'PUT', 'DELETE'):
            code, headers, _ = self.get('/metrics', method=method, data=b'x=1')
            self.assertEqual(code, 405, method)
            self.assertEqual(headers.get('allow'), 'GET, HEAD')
        code, headers, body = self.get('/metrics', method='HEAD')
        self.assertEqual(code, 200)
        self.assertEqual(body, b'')

    def test_bad_http_input_does_not_stop_dns_or_scrapes(self):
        port = self.f.http_port
        # Garbage bytes (a TLS ClientHello start and random bytes).
        for junk in (b'\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n',
                     os.urandom(4000), b'GET\r\n\r\n', b'\r\n' * 100):
            s = socket.create_connection(('127.0.0.1', port), timeout=5)
            try:
                s.sendall(junk)
                s.recv(4096)
            except OSError:
                pass
            s.close()
        # Oversized headers.
        s = socket.create_connection(('127.0.0.1', port), timeout=5)
        try:
            s.sendall(b'GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: ' + b'a' * 100000 +
                      b'\r\n\r\n')
        except OSError:
            pass
        try:
            reply = s.recv(4096)
        except OSError:
            reply = b''
        s.close()
        self.assertFalse(reply.startswith(b'HTTP/1.1 200'), reply[:100])
        # Silent clients from another source address, held open.
        silent = []
        for _ in range(40):
            c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            c.bind(('127.0.0.2', 0))
            c.settimeout(20)
            try:
                c.connect(('127.0.0.1', port))
            except OSError:
                c.close()
                continue
            silent.append(c)
        t0 = time.monotonic()
        # 200 connections at once from a third address, each sending a request.
        many = []
        for _ in range(200):
            c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            c.bind(('127.0.0.3', 0))
            c.settimeout(10)
            try:
                c.connect(('127.0.0.1', port))
                c.sendall(b'GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
            except OSError:
                pass
            many.append(c)
        # Meanwhile DNS answers and the scraper on 127.0.0.1 is served.
        for _ in range(5):
            self.assertTrue(self.soa_ok(), 'fodns stopped answering DNS')
            code, _, _ = self.get('/metrics')
            self.assertEqual(code, 200)
        answered = closed = 0
        for c in many:
            data = b''
            try:
                while True:
                    chunk = c.recv(65536)
                    if not chunk:
                        break
                    data += chunk
            except OSError:
                pass
            c.close()
            if data.startswith(b'HTTP/1.1 200'):
                answered += 1
            else:
                closed += 1
        self.assertEqual(answered + closed, 200)
        self.assertGreater(answered, 0)
        # The silent ones are dropped after the server's 10 s timeout.
        dropped = 0
        for c in silent:
            try:
                if c.recv(1) == b'':
                    dropped += 1
            except (ConnectionResetError, socket.timeout):
                dropped += 1 if time.monotonic() - t0 < 19 else 0
            c.close()
        took = time.monotonic() - t0
        self.assertEqual(dropped, len(silent))
        self.assertLess(took, 18, 'silent clients held for %.1f s' % took)
        self.assertTrue(self.soa_ok())
        self.assertEqual(self.get('/healthz')[0], 200)
        self.assertTrue(self.f.alive())

    def test_dashboard_metrics_exist(self):
        with open(DASHBOARD) as fh:
            dash = json.load(fh)
        exprs = []

        def walk(node):
            if isinstance(node, dict):
                for k, v in node.items():
                    if k in ('expr', 'definition') and isinstance(v, str):
                        exprs.append(v)
                    elif k == 'query' and isinstance(v, str):
                        exprs.append(v)
                    else:
                        walk(v)
            elif isinstance(node, list):
                for v in node:
                    walk(v)
        walk(dash)
        self.assertGreater(len(exprs), 10)
        names = set()
        for e in exprs:
            names.update(re.findall(r'\bfodns_[a-z0-9_]+', e))
        self.assertTrue(names)
        samples, families = self.scrape()
        present = {n for n, _ in samples} | families
        missing = sorted(n for n in names if n not in present)
        self.assertEqual(missing, [], 'dashboard metrics missing from a real scrape')
        for fam in ('fodns_dns_queries_by_type_total', 'fodns_dns_responses_total',
                    'fodns_backend_up', 'fodns_probe_rtt_seconds_bucket',
                    'fodns_backend_failovers_total', 'fodns_zone_serial'):
            self.assertIn(fam, names)


if __name__ == '__main__':
    unittest.main(verbosity=2)
