#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets (stdlib only; run from anywhere):
  corpus/query/      DNS query messages: well-formed ones for every answer rule of the
                     example zone, and malformed ones (short header, QR set, truncated,
                     compression loop, bad EDNS).
  corpus/zone_text/  one zone-file line per file, many RR types and escapes.
The files are committed; rerun after editing and commit the result. This only writes
its own files: inputs that once crashed a target (bugNNN_<what>, added by hand) and
seeds other tests put there (e2e_*, test/integration/test_malformed.py) are left alone,
and a seed renamed here must be removed by hand."""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TYPES = {'A': 1, 'NS': 2, 'CNAME': 5, 'SOA': 6, 'MX': 15, 'TXT': 16, 'AAAA': 28,
         'SRV': 33, 'NAPTR': 35, 'DNAME': 39, 'OPT': 41, 'DS': 43, 'RRSIG': 46,
         'SVCB': 64, 'HTTPS': 65, 'IXFR': 251, 'AXFR': 252, 'ANY': 255, 'CAA': 257}


def name(text):
    out = b''
    for label in text.rstrip('.').split('.'):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b'\0'


def header(qid=0x1234, flags=0x0100, qd=1, an=0, ns=0, ar=0):
    return struct.pack('!HHHHHH', qid, flags, qd, an, ns, ar)


def opt(payload=1232, version=0, do=False, rdata=b''):
    ttl = (version << 16) | (0x8000 if do else 0)
    return b'\0' + struct.pack('!HHIH', 41, payload, ttl, len(rdata)) + rdata


def query(qname, qtype='A', qclass=1, flags=0x0100, qid=0x1234, edns=None, extra=b'', ar=None):
    qt = TYPES[qtype] if isinstance(qtype, str) else qtype
    additional = b'' if edns is None else edns
    count = ar if ar is not None else (0 if edns is None else 1)
    return (header(qid, flags, 1, 0, 0, count) + name(qname) + struct.pack('!HH', qt, qclass)
            + additional + extra)


def queries():
    q = {}
    z = 'example.net.'
    for t in ['SOA', 'NS', 'NAPTR', 'MX', 'ANY', 'A', 'AAAA', 'TXT', 'DS', 'CAA']:
        q[f'apex_{t.lower()}'] = query(z, t)
    q['sip_a'] = query('sip.example.net.', 'A')
    q['sip_aaaa'] = query('sip.example.net.', 'AAAA')
    q['sip_any'] = query('sip.example.net.', 'ANY')
    q['sip_mixed_case'] = query('SiP.ExAmPlE.NeT.', 'A')
    q['srv_udp'] = query('_sip._udp.example.net.', 'SRV')
    q['srv_tcp_edns'] = query('_sip._tcp.example.net.', 'SRV', edns=opt())
    q['srv_tls_do'] = query('_sips._tcp.example.net.', 'SRV', edns=opt(4096, do=True))
    q['naptr_edns_512'] = query(z, 'NAPTR', edns=opt(512))
    q['naptr_edns_small'] = query(z, 'NAPTR', edns=opt(100))
    q['big_txt_udp'] = query('big.example.net.', 'TXT')
    q['big_txt_edns'] = query('big.example.net.', 'TXT', edns=opt(4096))
    q['cname_www_a'] = query('www.example.net.', 'A')
    q['cname_www_cname'] = query('www.example.net.', 'CNAME')
    q['cname_chain'] = query('chain.example.net.', 'AAAA')
    q['cname_out_of_zone'] = query('ext.example.net.', 'A')
    q['cname_to_wildcard'] = query('cw.example.net.', 'TXT')
    q['wildcard_a'] = query('alice.phones.example.net.', 'A')
    q['wildcard_deep'] = query('a.b.c.phones.example.net.', 'TXT')
    q['wildcard_nodata'] = query('bob.phones.example.net.', 'AAAA')
    q['wildcard_itself'] = query('*.phones.example.net.', 'A')
    q['wildcard_mx'] = query('x.w.example.net.', 'MX')
    q['empty_nonterminal'] = query('office.example.net.', 'A')
    q['nxdomain'] = query('nope.example.net.', 'A')
    q['nxdomain_below_node'] = query('x.sip.example.net.', 'A')
    q['nxdomain_edns'] = query('nope.example.net.', 'A', edns=opt())
    q['nodata'] = query('mail.example.net.', 'AAAA')
    q['referral'] = query('customer.example.net.', 'A')
    q['referral_deep'] = query('host.customer.example.net.', 'A')
    q['referral_ns'] = query('customer.example.net.', 'NS')
    q['glue_below_cut'] = query('ns.customer.example.net.', 'A')
    q['refused_other_zone'] = query('example.org.', 'A')
    q['refused_root'] = query('.', 'NS')
    q['class_ch'] = query('version.bind.', 'TXT', qclass=3)
    q['class_any'] = query(z, 'SOA', qclass=255)
    q['type_axfr'] = query(z, 'AXFR')
    q['type_ixfr'] = query(z, 'IXFR')
    q['type_opt'] = query(z, 'OPT')
    q['type_svcb'] = query('_dns.example.net.', 'SVCB')
    q['type_65535'] = query(z, 65535)
    q['long_name'] = query('.'.join(['a' * 63] * 3) + '.' + 'b' * 49 + '.example.net.', 'A')
    q['many_labels'] = query('.'.join(['x'] * 120) + '.example.net.', 'A')
    q['rd_cleared'] = query(z, 'SOA', flags=0x0000)
    q['flags_all_query_bits'] = query(z, 'SOA', flags=0x07b0)  # RD TC AA, Z bits
    q['opcode_notify'] = query(z, 'SOA', flags=0x2000)
    q['opcode_update'] = query(z, 'SOA', flags=0x2800)
    q['opcode_status'] = query(z, 'SOA', flags=0x1000)
    # EDNS variants (RFC 6891)
    q['edns_version1'] = query(z, 'SOA', edns=opt(version=1))
    q['edns_version255'] = query(z, 'SOA', edns=opt(version=255))
    q['edns_do'] = query('sip.example.net.', 'A', edns=opt(1232, do=True))
    q['edns_payload_0'] = query(z, 'NAPTR', edns=opt(0))
    q['edns_payload_65535'] = query(z, 'NAPTR', edns=opt(65535))
    q['edns_cookie'] = query(z, 'SOA', edns=opt(rdata=struct.pack('!HH', 10, 8) + b'\x01' * 8))
    q['edns_nsid'] = query(z, 'SOA', edns=opt(rdata=struct.pack('!HH', 3, 0)))
    # DNS cookies (RFC 7873/9018) and the rate limiter behind them: a client cookie alone,
    # one with a server cookie of our format (version 1), a foreign 8-byte and a 32-byte
    # server cookie, illegal lengths (FORMERR), two COOKIE options, and a burst-sized
    # NXDOMAIN / NAPTR query (the fuzz target limits at 3 a second, so these slip).
    cc = bytes(range(1, 9))
    q['cookie_client_only_naptr'] = query(z, 'NAPTR', edns=opt(rdata=struct.pack('!HH', 10, 8) + cc))
    q['cookie_server_v1'] = query(z, 'NAPTR', edns=opt(rdata=struct.pack('!HH', 10, 24) + cc + b'\x01\0\0\0' + b'\x5c\xf7\x9f\x11' + b'\x1f' * 8))
    q['cookie_server_8'] = query(z, 'A', edns=opt(rdata=struct.pack('!HH', 10, 16) + cc + b'\xaa' * 8))
    q['cookie_server_32'] = query(z, 'MX', edns=opt(rdata=struct.pack('!HH', 10, 40) + cc + b'\xbb' * 32))
    q['cookie_len_9'] = query(z, 'SOA', edns=opt(rdata=struct.pack('!HH', 10, 9) + cc + b'\0'))
    q['cookie_len_41'] = query(z, 'SOA', edns=opt(rdata=struct.pack('!HH', 10, 41) + cc + b'\0' * 33))
    q['cookie_twice'] = query(z, 'SOA', edns=opt(rdata=(struct.pack('!HH', 10, 8) + cc) * 2))
    q['cookie_nxdomain'] = query('random-label.example.net.', 'A', edns=opt(rdata=struct.pack('!HH', 10, 8) + cc))
    q['cookie_wildcard_do'] = query('x.phones.example.net.', 'TXT', edns=opt(4096, do=True, rdata=struct.pack('!HH', 10, 8) + cc))
    q['cookie_refused'] = query('other.org.', 'A', edns=opt(rdata=struct.pack('!HH', 10, 8) + cc))
    q['edns_ecs'] = query(z, 'A', edns=opt(rdata=struct.pack('!HHHBB', 8, 7, 1, 24, 0) + bytes([192, 0, 2])))
    q['edns_bad_optlen'] = query(z, 'SOA', edns=opt(rdata=struct.pack('!HH', 10, 200) + b'\0' * 4))
    q['edns_rdlen_past_end'] = query(z, 'SOA', edns=b'\0' + struct.pack('!HHIH', 41, 1232, 0, 40))
    q['edns_owner_not_root'] = query(z, 'SOA', edns=name('x.') + struct.pack('!HHIH', 41, 1232, 0, 0))
    q['two_opts'] = query(z, 'SOA', edns=opt() + opt(), ar=2)
    q['opt_plus_a'] = query(z, 'SOA', edns=opt() + name('x.') + struct.pack('!HHIH', 1, 1, 0, 4) + b'\1\2\3\4', ar=2)
    q['tsig_like'] = query(z, 'SOA', edns=name('key.') + struct.pack('!HHIH', 250, 255, 0, 0), ar=1)
    # Malformed
    good = query('sip.example.net.', 'A')
    q['empty'] = b''
    q['one_byte'] = b'\x12'
    q['short_header'] = good[:11]
    q['header_only'] = header(qd=0)
    q['header_qd1_no_question'] = header()
    q['qr_set'] = query(z, 'SOA', flags=0x8100)
    q['qr_set_short'] = header(flags=0x8000)[:12]
    q['qdcount_0_with_question'] = header(qd=0) + good[12:]
    q['qdcount_2'] = header(qd=2) + good[12:] + good[12:]
    q['answer_count_set'] = header(an=1) + good[12:]
    q['authority_count_set'] = header(ns=1) + good[12:]
    q['truncated_in_name'] = good[:16]
    q['truncated_in_type'] = good[:len(good) - 3]
    q['truncated_opt'] = query(z, 'SOA', edns=opt())[:-4]
    q['trailing_garbage'] = good + b'\xde\xad\xbe\xef'
    q['label_too_long'] = header() + b'\x40' + b'a' * 64 + b'\0' + struct.pack('!HH', 1, 1)
    q['name_too_long'] = header() + (b'\x3f' + b'a' * 63) * 4 + b'\0' + struct.pack('!HH', 1, 1)
    q['compression_loop'] = header() + b'\xc0\x0c' + struct.pack('!HH', 1, 1)
    q['compression_forward'] = header() + b'\xc0\x12' + struct.pack('!HH', 1, 1) + name(z)
    q['compression_to_header'] = header() + b'\x03sip\xc0\x00' + struct.pack('!HH', 1, 1)
    q['compression_in_opt_owner'] = query(z, 'SOA', edns=b'\xc0\x0c' + struct.pack('!HHIH', 41, 1232, 0, 0))
    q['label_type_01'] = header() + b'\x41abc' + b'\0' + struct.pack('!HH', 1, 1)
    q['label_type_10'] = header() + b'\x81abc' + b'\0' + struct.pack('!HH', 1, 1)
    q['nul_in_label'] = header() + b'\x03s\0p' + name(z) + struct.pack('!HH', 1, 1)
    q['dot_in_label'] = header() + b'\x07sip.www' + name(z) + struct.pack('!HH', 1, 1)
    q['id_ffff'] = query(z, 'SOA', qid=0xffff)
    q['all_ff'] = b'\xff' * 40
    q['all_zero'] = b'\0' * 40
    q['max_udp_size'] = good + b'\0' * (1232 - len(good))
    return q


# One zone-file line per entry, relative to example.net.
ZONE_LINES = {
    'a': 'sip3 30 IN A 192.0.2.10',
    'a_apex': '@ 300 IN A 192.0.2.1',
    'a_absolute': 'host.example.net. 60 A 198.51.100.7',
    'a_no_ttl': 'host IN A 192.0.2.11',
    'a_outside_zone': 'www.example.org. 30 IN A 192.0.2.12',
    'a_on_existing': 'sip 30 IN A 127.0.1.3',
    'a_below_cut': 'x.customer 30 IN A 192.0.2.13',
    'a_wildcard': '*.lab 30 IN A 192.0.2.14',
    'aaaa': 'sip3 30 IN AAAA 2001:db8::10',
    'aaaa_v4mapped': 'sip3 30 IN AAAA ::ffff:192.0.2.1',
    'ns_apex': '@ IN NS ns3.example.net.',
    'ns_cut': 'branch IN NS ns.branch',
    'ns_cut_external': 'branch2 IN NS ns.example.org.',
    'ns_cut_below_wildcard': 'x.phones IN NS ns.example.org.',
    'srv': '_sip._udp 30 IN SRV 30 10 5060 sip3.example.net.',
    'srv_root_target': '_sip._sctp 30 IN SRV 0 0 0 .',
    'srv_external': '_sips._tcp 30 IN SRV 5 5 5061 sip.example.org.',
    'naptr': '@ IN NAPTR 40 50 "s" "SIP+D2S" "" _sip._sctp.example.net.',
    'naptr_regexp': 'e164 IN NAPTR 100 10 "u" "E2U+sip" "!^.*$!sip:info@example.net!" .',
    'naptr_escapes': 'e164 IN NAPTR 100 10 "u" "E2U+sip" "!^\\\\+(.*)$!sip:\\\\1@example.net!" .',
    'mx': '@ IN MX 20 mail2.example.net.',
    'mx_null': 'nomail IN MX 0 .',
    'txt': 'info IN TXT "hello world"',
    'txt_multi': 'info IN TXT "one" "two" three',
    'txt_escapes': 'info IN TXT "quote \\" backslash \\\\ semicolon \\; decimal \\065\\255\\000"',
    'txt_empty': 'info IN TXT ""',
    'txt_255': 'info IN TXT "' + 'x' * 255 + '"',
    'txt_unterminated': 'info IN TXT "open',
    'txt_parens': 'info IN TXT ( "a"\n "b" )',
    'caa': '@ IN CAA 0 issue "letsencrypt.org"',
    'caa_critical': '@ IN CAA 128 tbs "Unknown"',
    'cname': 'alias IN CNAME sip',
    'cname_on_existing': 'sip IN CNAME www',
    'cname_apex': '@ IN CNAME www',
    'cname_self': 'loop IN CNAME loop',
    'cname_wildcard': '*.c IN CNAME sip',
    'dname': 'old IN DNAME example.net.',
    'dname_apex': '@ IN DNAME example.org.',
    'soa_second': '@ IN SOA ns1 hostmaster 1 2 3 4 5',
    'soa_below': 'sub IN SOA ns1 hostmaster 1 2 3 4 5',
    'ptr': '1.2.0.192.in-addr.arpa. IN PTR sip.example.net.',
    'hinfo': 'sip IN HINFO "x86" "Linux"',
    'sshfp': 'sip IN SSHFP 4 2 123456789abcdef67890123456789abcdef67890123456789abcdef123456789a',
    'tlsa': '_5061._tcp.sip IN TLSA 3 1 1 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
    'ds': 'customer IN DS 12345 13 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef',
    'svcb': '_dns IN SVCB 1 dns.example.net. alpn=dot port=853',
    'https': '@ IN HTTPS 1 . alpn=h2,h3 ipv4hint=192.0.2.1',
    'https_alias': 'web IN HTTPS 0 www.example.net.',
    'loc': 'sip IN LOC 52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m',
    'generic_type': 'sip IN TYPE12345 \\# 4 deadbeef',
    'generic_empty': 'sip IN TYPE65280 \\# 0',
    'generic_a': 'g IN TYPE1 \\# 4 c0000201',
    'generic_bad_len': 'sip IN TYPE12345 \\# 8 deadbeef',
    'class_ch': 'sip CH TXT "chaos"',
    'class_generic': 'sip CLASS32 A 192.0.2.1',
    'ttl_units': 'sip3 1h30m IN A 192.0.2.15',
    'ttl_max': 'sip3 4294967295 IN A 192.0.2.16',
    'escape_dot_in_label': 'a\\.b IN A 192.0.2.17',
    'escape_decimal_label': '\\000\\255x IN A 192.0.2.18',
    'escape_space_label': 'a\\ b IN A 192.0.2.19',
    'escape_at': '\\@ IN A 192.0.2.20',
    'long_label': 'x' * 63 + ' IN A 192.0.2.21',
    'label_too_long': 'x' * 64 + ' IN A 192.0.2.22',
    'name_max': '.'.join(['a' * 63] * 3) + '.' + 'b' * 49 + '.example.net. IN A 192.0.2.23',
    'upper_case': 'SIP4.EXAMPLE.NET. 30 IN A 192.0.2.24',
    'root_owner': '. IN A 192.0.2.25',
    'tabs': 'tabbed\t30\tIN\tA\t192.0.2.26',
    'comment': 'c 30 IN A 192.0.2.27 ; comment',
    'bad_ipv4': 'sip3 IN A 300.1.2.3',
    'bad_type': 'sip3 IN NOTATYPE 1',
    'empty': '',
    'rrsig': 'sip IN RRSIG A 13 3 30 20300101000000 20200101000000 12345 example.net. dGVzdA==',
    'nsec': 'sip IN NSEC sip1.example.net. A AAAA RRSIG NSEC',
    'apl': 'sip IN APL 1:192.0.2.0/24 !2:2001:db8::/32',
}


def write(dirname, items):
    path = os.path.join(HERE, 'corpus', dirname)
    os.makedirs(path, exist_ok=True)  # other files there (bugNNN_*, e2e_*) are left alone
    for key, data in items.items():
        with open(os.path.join(path, key), 'wb') as f:
            f.write(data if isinstance(data, bytes) else data.encode())
    print(f'{len(items)} files in {path}', file=sys.stderr)


if __name__ == '__main__':
    write('query', queries())
    write('zone_text', ZONE_LINES)
