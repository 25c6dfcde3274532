#!/usr/bin/env python3
"""Writes corpus/tsig/: queries signed with the fuzz_tsig key ("xfr-key.",
hmac-sha256) at the target's fixed clock (1700000000), and some broken ones
(wrong key, flipped byte, TSIG not last, truncated MAC). Run from anywhere;
the files are committed."""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'integration'))
import fodns_harness as h  # noqa: E402
import xfr_client as x  # noqa: E402

KEY = x.Key('xfr-key.', 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0IQ==')
NOW = 1700000000


def signed(wire, key=KEY):
    return x.sign(wire, key, time_signed=NOW)[0]


def main():
    out = os.path.join(HERE, 'corpus', 'tsig')
    os.makedirs(out, exist_ok=True)
    soa = h.make_query('example.net.', 'SOA', qid=0x1357)
    seeds = {
        'soa_signed': signed(soa),
        'soa_edns_signed': signed(h.make_query('sip.example.net.', 'A', qid=7, edns=True)),
        'axfr_signed': signed(h.make_query('example.net.', 'AXFR', qid=9)),
        'wrong_key': signed(soa, x.Key('other-key.', KEY.secret)),
        'wrong_secret': signed(soa, KEY.with_secret(x.new_secret())),
    }
    good = seeds['soa_signed']
    seeds['flipped_byte'] = good[:13] + bytes([good[13] ^ 0x20]) + good[14:]
    not_last = bytearray(good + h.opt_rr())
    struct.pack_into('!H', not_last, 10, 2)
    seeds['tsig_not_last'] = bytes(not_last)
    seeds['truncated_mac'] = good[:-10]
    for name, data in seeds.items():
        with open(os.path.join(out, name), 'wb') as f:
            f.write(data)
    print('wrote %d seeds to %s' % (len(seeds), out))


if __name__ == '__main__':
    main()
