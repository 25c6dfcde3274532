"""Logging: one line per event, every field key=value; levels; sampled query logging.

Claims:
- Every line `fodns serve` writes to stderr (start-up, serving, stopping, stopped) parses
  as logfmt with ts=, level= and msg=; `--log-level warn` silences the info lines.
- Without --log-queries (and with 0), answering queries logs nothing per query.
- `--log-queries 1` logs every query, one line each: client (address:port as the client
  sent from), qname, qtype, rcode, transport (udp and tcp); a malformed query logs too,
  with qname=- and rcode FORMERR.
- `--log-queries 5` (one worker) logs the 1st, 6th, 11th, 16th of 20 queries: exactly 4;
  `--log-queries 0.5` logs every 2nd.
- Errors of the CLI stay plain one-line messages (not log lines) on stderr.
"""

import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cli_harness as h  # noqa: E402


def query_wire(name, qtype, qid=0x1234):
    q = struct.pack('!HHHHHH', qid, 0, 1, 0, 0, 0)
    for label in name.rstrip('.').split('.'):
        q += bytes([len(label)]) + label.encode()
    return q + b'\x00' + struct.pack('!HH', qtype, 1)


def udp_queries(port, packets):
    """Sends each packet from one socket, waits for each reply; returns the source port."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    s.bind(('127.0.0.1', 0))
    for p in packets:
        s.sendto(p, ('127.0.0.1', port))
        try:
            s.recvfrom(4096)
        except socket.timeout:
            pass
    src = s.getsockname()[1]
    s.close()
    return src


def query_lines(server):
    time.sleep(0.3)  # the log line is written right after the reply
    return [e for e in h.log_events(server.log()) if e['msg'] == 'query']


def main():
    f = h.Failures()
    with h.TempDir() as tmp:
        db = h.seeded_db(tmp)

        # Default: no per-query lines; every line logfmt.
        s = h.Server(db)
        udp_queries(s.port, [query_wire('sip.example.net', 1)] * 10)
        f.check(query_lines(s) == [], 'queries logged without --log-queries')
        code = s.stop()
        f.check(code == 0, 'serve stopped by SIGTERM: exit %d' % code)
        try:
            events = h.log_events(s.log())
        except AssertionError as e:
            events = []
            f.check(False, 'serve log is not key=value: %s' % e)
        msgs = [e['msg'] for e in events]
        for want in ('serving', 'stopping', 'stopped'):
            f.check(want in msgs, 'no msg=%s in the log: %s' % (want, msgs))
        f.check(all(e['level'] in ('debug', 'info', 'warn', 'error') for e in events), 'bad level in %s' % events)
        serving = [e for e in events if e['msg'] == 'serving']
        if serving:
            f.check(serving[0].get('listen') == '127.0.0.1:%d' % s.port, 'serving listen= %r' % serving[0])

        s = h.Server(db, ['--log-level', 'warn'])
        s.stop()
        f.check(not [l for l in s.log().splitlines() if 'level=info' in l], '--log-level warn still logs info: %r' % s.log())

        # Every query.
        s = h.Server(db, ['--log-queries', '1'], quiet=True)
        src = udp_queries(s.port, [query_wire('sip.example.net', 1), query_wire('nope.example.net', 33)])
        h.dig(s.port, '_sip._udp.example.net.', 'SRV', tcp=True)
        udp_queries(s.port, [b'\x12\x34\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00'])  # QDCOUNT 2: FORMERR
        lines = query_lines(s)
        s.stop()
        f.check(len(lines) == 4, '--log-queries 1: %d query lines, want 4: %s' % (len(lines), lines))
        if len(lines) == 4:
            a, nx, srv, bad = lines
            f.check(a['client'] == '127.0.0.1:%d' % src, 'client %r, want 127.0.0.1:%d' % (a['client'], src))
            f.check((a['qname'], a['qtype'], a['rcode'], a['transport']) == ('sip.example.net.', 'A', 'NOERROR', 'udp'), a)
            f.check((nx['qname'], nx['qtype'], nx['rcode']) == ('nope.example.net.', 'SRV', 'NXDOMAIN'), nx)
            f.check((srv['qname'], srv['qtype'], srv['rcode'], srv['transport']) ==
                    ('_sip._udp.example.net.', 'SRV', 'NOERROR', 'tcp'), srv)
            f.check(srv['client'].startswith('127.0.0.1:') and srv['client'] != '127.0.0.1:0', srv)
            f.check((bad['qname'], bad['rcode']) == ('-', 'FORMERR'), bad)
            f.check(all(l['level'] == 'info' for l in lines), lines)

        # Sampling, one worker: the 1st query, then every Nth.
        for rate, want in (('5', 4), ('0.5', 10), ('1/10', 2), ('0', 0), ('off', 0)):
            s = h.Server(db, ['--log-queries', rate], quiet=True)
            udp_queries(s.port, [query_wire('sip.example.net', 1)] * 20)
            got = query_lines(s)
            s.stop()
            f.check(len(got) == want, '--log-queries %s: %d of 20 queries logged, want %d' % (rate, len(got), want))

        # A CLI error is a plain message, not a log line.
        code, out, err = h.run(['--db', db, 'zone', 'export', 'nosuch.example.'])
        f.check(code == 2 and err.startswith('zone export:'), 'CLI error: %d %r' % (code, err))
    f.report('logging')


if __name__ == '__main__':
    main()
