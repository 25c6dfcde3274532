"""Differential test: fodns against Knot DNS on the same zone files.

Both servers load zones/example.net.zone, zones/test-rules.zone and
test/integration/zones/lowttl.test.zone and run on 127.0.0.1 (Knot with its
own config, rundir and storage, started in the foreground by this test).
Every query in QUERIES (more than 100: name, type, class, opcode, RD, 0x20
case, EDNS variants, UDP and TCP) is sent as the same bytes to both, and the
replies must agree on:

- whether there is a reply at all;
- ID, opcode, RCODE (including the EDNS extended RCODE) and the flags QR, AA,
  TC, RD, RA, AD, CD;
- the question section, byte for byte in name case (both echo the client);
- presence of OPT and its version and UDP payload size;
- answer, authority and additional sections, each compared as a set of RRs
  (order-insensitive; owner and rdata names case-insensitive and
  decompressed; TTLs exact).

The rules covered: AA, 0x20 echo, case-insensitive match, class CH REFUSED,
NXDOMAIN/NODATA with SOA and TTL min(SOA TTL, MINIMUM), empty non-terminals,
unknown qtype, CNAME chains (in zone, out of zone, dangling, to an ENT, to a
wildcard), RFC 4592 wildcards, referrals (at and below the cut, glue, no AA),
SRV/MX/NS additionals, out-of-zone REFUSED, unknown opcodes NOTIMP, EDNS
(echo, payload, BADVERS, unknown option, two OPTs), truncation, ANY.

EXCEPTIONS lists the queries where issue 2 asks for more than Knot does, each
with its reason and the only way the answers may differ there.
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fodns_harness as h  # noqa: E402


def Q(qname, qtype='A', **kw):
    return (qname, qtype, kw)


EN = 'example.net.'
RT = 'rules.test.'

# Queries sent over UDP without EDNS (and, below, repeated with EDNS and TCP).
BASE = [
    # example.net: apex, SIP data, CNAME, wildcard, ENT, delegation, negatives.
    Q(EN, 'SOA'), Q(EN, 'NS'), Q(EN, 'MX'), Q(EN, 'A'), Q(EN, 'TXT'),
    Q('ns1.' + EN, 'A'), Q('ns2.' + EN, 'AAAA'), Q('ns2.' + EN, 'A'),
    Q('sip.' + EN, 'A'), Q('sip.' + EN, 'AAAA'), Q('sip2.' + EN, 'TXT'),
    Q('_sip._udp.' + EN, 'SRV'), Q('_sip._tcp.' + EN, 'SRV'), Q('_sips._tcp.' + EN, 'SRV'),
    Q('_udp.' + EN, 'SRV'),
    Q('www.' + EN, 'A'), Q('www.' + EN, 'AAAA'), Q('web.' + EN, 'A'), Q('mail.' + EN, 'A'),
    Q('foo.phones.' + EN, 'A'), Q('foo.phones.' + EN, 'TXT'), Q('foo.phones.' + EN, 'AAAA'),
    Q('a.b.phones.' + EN, 'A'), Q('phones.' + EN, 'A'), Q('office.' + EN, 'A'),
    Q('pbx.office.' + EN, 'A'),
    Q('customer.' + EN, 'NS'), Q('customer.' + EN, 'A'), Q('x.customer.' + EN, 'A'),
    Q('ns.customer.' + EN, 'A'),
    Q('nothere.' + EN, 'A'), Q('a.nothere.' + EN, 'A'),
    Q('SiP.ExAmPlE.NeT.', 'A'), Q('WWW.Example.NET.', 'A'),
    # rules.test
    Q(RT, 'SOA'), Q(RT, 'NS'), Q(RT, 'MX'), Q(RT, 'AAAA'), Q(RT, 'TYPE65280'),
    Q('ns1.' + RT, 'A'), Q('ns1.' + RT, 'AAAA'), Q('ns1.' + RT, 'TXT'),
    Q('mail.' + RT, 'AAAA'), Q('_sip._udp.' + RT, 'SRV'), Q('_sip._tcp.' + RT, 'SRV'),
    Q('_sip._udp.' + RT, 'A'), Q('_tcp.' + RT, 'SRV'),
    Q('sip.' + RT, 'A'), Q('sip1.' + RT, 'AAAA'),
    Q('ent.' + RT, 'A'), Q('sub.ent.' + RT, 'A'), Q('sub.ent.' + RT, 'TYPE65280'),
    Q('host.sub.ent.' + RT, 'A'), Q('x.sub.ent.' + RT, 'A'),
    Q('foo.wild.' + RT, 'A'), Q('foo.wild.' + RT, 'TXT'), Q('foo.wild.' + RT, 'AAAA'),
    Q('foo.wild.' + RT, 'TYPE65280'), Q('a.b.c.wild.' + RT, 'A'), Q('FoO.WiLd.' + RT, 'A'),
    Q('wild.' + RT, 'A'), Q('*.wild.' + RT, 'A'),
    Q('exists.wild.' + RT, 'A'), Q('exists.wild.' + RT, 'TXT'),
    Q('ent.wild.' + RT, 'A'), Q('x.ent.wild.' + RT, 'A'), Q('host.ent.wild.' + RT, 'A'),
    Q('users.' + RT, 'A'), Q('dyn.users.' + RT, 'A'), Q('pc1.dyn.users.' + RT, 'A'),
    Q('pc1.dyn.users.' + RT, 'MX'), Q('x.users.' + RT, 'A'),
    Q('anything.alias.' + RT, 'A'), Q('anything.alias.' + RT, 'CNAME'),
    Q('www.' + RT, 'A'), Q('www.' + RT, 'AAAA'), Q('www.' + RT, 'CNAME'), Q('www.' + RT, 'TXT'),
    Q('web.' + RT, 'A'), Q('ext.' + RT, 'A'), Q('dangling.' + RT, 'A'), Q('dangling.' + RT, 'CNAME'),
    Q('toent.' + RT, 'A'), Q('towild.' + RT, 'A'), Q('towild.' + RT, 'TXT'),
    Q('child.' + RT, 'NS'), Q('child.' + RT, 'A'), Q('child.' + RT, 'SOA'),
    Q('www.child.' + RT, 'A'), Q('ns.child.' + RT, 'A'), Q('ns.child.' + RT, 'AAAA'),
    Q('a.b.child.' + RT, 'MX'),
    Q('ttl10.' + RT, 'A'), Q('ttl86400.' + RT, 'A'), Q('mixed.' + RT, 'A'), Q('mixed.' + RT, 'TXT'),
    Q('mixed.' + RT, 'AAAA'), Q('mixedcase.' + RT, 'A'), Q('MIXEDCASE.' + RT, 'A'),
    Q('nothere.' + RT, 'A'), Q('nothere.' + RT, 'TYPE65280'), Q('deep.nothere.' + RT, 'AAAA'),
    Q('big.' + RT, 'TXT'), Q('big.' + RT, 'A'),
    # lowttl.test: SOA TTL 20 < MINIMUM 600 -> negative TTL 20.
    Q('lowttl.test.', 'SOA'), Q('x.lowttl.test.', 'A'), Q('a.lowttl.test.', 'TXT'),
    # ANY (RFC 8482).
    Q(EN, 'ANY'), Q(RT, 'ANY'), Q('sip.' + RT, 'ANY'), Q('mixed.' + RT, 'ANY'),
    Q('nothere.' + RT, 'ANY'),
    # Out of zone, other classes, opcodes.
    Q('example.com.', 'A'), Q('net.', 'SOA'), Q('.', 'NS'), Q('test.', 'SOA'),
    Q('sub.example.org.', 'A'),
    Q(RT, 'SOA', qclass='CH'), Q('sip.' + RT, 'A', qclass='CH'), Q('sip.' + RT, 'A', qclass='HS'),
    Q(RT, 'SOA', opcode=1), Q(RT, 'SOA', opcode=2), Q(RT, 'SOA', opcode=3), Q(RT, 'SOA', opcode=6),
    # RD copied.
    Q('sip.' + RT, 'A', rd=True), Q('nothere.' + RT, 'A', rd=True), Q('example.com.', 'A', rd=True),
    # NAPTR (RFC 3263 additionals: see EXCEPTIONS).
    Q(EN, 'NAPTR'), Q(RT, 'NAPTR'),
    # A query with QR set: no answer from either.
    Q('sip.' + RT, 'A', qr=True),
]

# The same with EDNS (payload 1232 unless said otherwise).
EDNS = [
    Q(EN, 'SOA', edns=True), Q(EN, 'NAPTR', edns=True), Q(RT, 'NAPTR', edns=True),
    Q('_sip._udp.' + EN, 'SRV', edns=True), Q('www.' + RT, 'A', edns=True),
    Q('nothere.' + RT, 'A', edns=True), Q('ent.' + RT, 'A', edns=True),
    Q('foo.wild.' + RT, 'A', edns=True), Q('www.child.' + RT, 'A', edns=True),
    Q('example.com.', 'A', edns=True), Q(RT, 'SOA', edns=True, opcode=2),
    Q(RT, 'SOA', edns=True, qclass='CH'),
    Q('big.' + RT, 'TXT', edns=True), Q('big.' + RT, 'TXT', edns=True, payload=512),
    Q('big.' + RT, 'TXT', edns=True, payload=4096), Q('big.' + RT, 'TXT', edns=True, payload=65535),
    Q(RT, 'SOA', edns=True, payload=100), Q(RT, 'ANY', edns=True),
    Q(RT, 'SOA', edns=True, version=1), Q('nothere.' + RT, 'A', edns=True, version=1),
    Q(RT, 'SOA', edns=True, version=255),
    Q(RT, 'SOA', edns=True, options=[(65001, b'fodns')]),
    Q('sip.' + RT, 'A', edns=True, options=[(65001, b''), (65002, b'\x01\x02\x03')]),
    Q(RT, 'SOA', edns=True, extra_opts=1),
]

# Over TCP.
TCP = [
    Q(EN, 'SOA', tcp=True), Q(EN, 'NS', tcp=True), Q(RT, 'NAPTR', tcp=True),
    Q('big.' + RT, 'TXT', tcp=True), Q('big.' + RT, 'TXT', tcp=True, edns=True),
    Q('_sip._udp.' + RT, 'SRV', tcp=True), Q('www.' + RT, 'A', tcp=True),
    Q('nothere.' + RT, 'A', tcp=True), Q('ent.' + RT, 'A', tcp=True),
    Q('pc1.dyn.users.' + RT, 'A', tcp=True), Q('exists.wild.' + RT, 'TXT', tcp=True),
    Q('www.child.' + RT, 'A', tcp=True), Q('example.com.', 'A', tcp=True),
    Q(RT, 'SOA', tcp=True, qclass='CH'), Q(RT, 'SOA', tcp=True, opcode=2),
    Q(RT, 'SOA', tcp=True, edns=True, version=1), Q('dangling.' + RT, 'A', tcp=True),
    Q('SiP.RuLeS.TeSt.', 'A', tcp=True), Q(RT, 'ANY', tcp=True),
]

QUERIES = BASE + EDNS + TCP


def label(q):
    qname, qtype, kw = q
    extra = ' '.join('%s=%s' % (k, v) for k, v in sorted(kw.items()))
    return ('%s %s %s' % (qname, qtype, extra)).strip()


# Where issue 2 asks for more than Knot does. {query label: (reason, check)}
NAPTR_REASON = ('issue 2 / RFC 3263: fodns adds the SRV records of the NAPTR replacements '
                'and their A/AAAA to the additional section; Knot adds nothing for NAPTR. '
                'Answer and authority must match exactly and fodns\'s additional must '
                'contain Knot\'s.')
ANY_REASON = ('RFC 8482 lets the server pick which RRset(s) form the minimal ANY answer '
              '(Knot picks one). Both must answer NOERROR/AA with a non-empty answer of '
              'RRs that exist at the name (checked against Knot per type); additional '
              'may differ with the chosen RRset.')
QUESTION_REASON = ('an unknown opcode defines its own message format (RFC 1035 4.1.1) and a '
                   'FORMERR query is not trusted, so fodns may leave the question out of NOTIMP '
                   'and FORMERR replies where Knot copies it; everything else (RCODE, flags, '
                   'OPT, sections) must match.')
EXCEPTIONS = {}
for _q in QUERIES:
    if _q[2].get('opcode') or _q[2].get('extra_opts'):
        EXCEPTIONS[label(_q)] = (QUESTION_REASON, 'question_optional')
    if _q[1] == 'NAPTR':
        EXCEPTIONS[label(_q)] = (NAPTR_REASON, 'additional_superset')
    if _q[1] == 'ANY' and not _q[0].startswith('nothere'):
        EXCEPTIONS[label(_q)] = (ANY_REASON, 'any_minimal')


def rrset_text(rrs):
    return '\n'.join('      %r' % rr for rr in sorted(rrs, key=lambda r: (r.name.lower(), r.rtype, r.text)))


def compare_header(q, k, f, question_optional=False):
    """Differences in everything but the three RR sections."""
    diffs = []
    for field in ('id', 'opcode', 'rcode', 'qr', 'aa', 'tc', 'rd', 'ra', 'ad', 'cd'):
        kv, fv = getattr(k, field), getattr(f, field)
        if kv != fv:
            if field == 'rcode':
                kv, fv = h.rcode_name(kv), h.rcode_name(fv)
            diffs.append('%s: knot %s, fodns %s' % (field, kv, fv))
    if k.question != f.question and not (question_optional and not f.question):
        diffs.append('question: knot %r, fodns %r' % (k.question, f.question))
    ko = (k.opt['version'], k.opt['payload']) if k.opt else None
    fo = (f.opt['version'], f.opt['payload']) if f.opt else None
    if ko != fo:
        diffs.append('OPT (version, payload): knot %r, fodns %r' % (ko, fo))
    if len(f.opts) > 1:
        diffs.append('fodns sent %d OPT records' % len(f.opts))
    return diffs


def compare_section(name, k, f):
    ks = {rr.key(): rr for rr in k.section(name)}
    fs = {rr.key(): rr for rr in f.section(name)}
    if set(ks) == set(fs) and len(k.section(name)) == len(f.section(name)):
        return []
    only_k = [ks[x] for x in ks if x not in fs]
    only_f = [fs[x] for x in fs if x not in ks]
    out = ['%s differs:' % name]
    if only_k:
        out.append('    only in knot:\n' + rrset_text(only_k))
    if only_f:
        out.append('    only in fodns:\n' + rrset_text(only_f))
    if not only_k and not only_f:
        out.append('    duplicates: knot %d RRs, fodns %d RRs' % (len(k.section(name)), len(f.section(name))))
    return out


class KnotDiffTest(unittest.TestCase):
    knot = None
    fodns = None

    @classmethod
    def setUpClass(cls):
        if h.knotd_binary() is None:
            raise unittest.SkipTest('knotd is not installed (Debian package knot)')
        cls.knot = h.Knot()
        try:
            cls.knot.start()
        except Exception:
            cls.knot.cleanup(failed=True)
            raise
        # FODNS_E2E_SELFTEST=1 diffs Knot against a second Knot: checks this test itself.
        cls.fodns = h.Knot() if os.environ.get('FODNS_E2E_SELFTEST') else h.Fodns()
        try:
            cls.fodns.start()
        except Exception:
            cls.knot.cleanup()
            cls.fodns.cleanup(failed=True)
            raise

    @classmethod
    def tearDownClass(cls):
        failed = getattr(cls, '_failed', False)
        if cls.fodns:
            cls.fodns.cleanup(failed=failed)
        if cls.knot:
            cls.knot.cleanup()

    def exchange(self, server, wire, tcp):
        reply = server.raw_tcp(wire) if tcp else server.raw_udp(wire, timeout=1.5)
        if reply is None and not tcp:  # one retry: a lost datagram is not a difference
            reply = server.raw_udp(wire, timeout=1.5)
        if reply is None:
            return None
        return h.Message(reply)

    def any_check(self, q, k, f):
        diffs = compare_header(q, k, f)
        if f.rcode != h.NOERROR or not f.answer:
            diffs.append('fodns ANY answer is empty or not NOERROR')
            return diffs
        if k.rcode != h.NOERROR:
            diffs.append('knot ANY rcode %s' % h.rcode_name(k.rcode))
        qname = q[0]
        for rr in f.answer:
            if rr.name.lower() != qname.lower():
                diffs.append('fodns ANY answer has a foreign owner: %r' % rr)
        # Each RR fodns gives must exist: ask Knot for that type over TCP.
        for t in sorted({rr.rtype for rr in f.answer}):
            kt = self.knot.query(qname, t, tcp=True)
            want = {rr.key() for rr in kt.answer if rr.rtype == t}
            got = {rr.key() for rr in f.answer if rr.rtype == t}
            if got != want:
                diffs.append('fodns ANY %s RRset is not the zone\'s:\n%s\n   zone has:\n%s' % (
                    h.type_name(t), rrset_text([rr for rr in f.answer if rr.rtype == t]),
                    rrset_text([rr for rr in kt.answer if rr.rtype == t])))
        diffs += compare_section('authority', k, f)
        return diffs

    def test_same_answers_as_knot(self):
        self.assertGreaterEqual(len(QUERIES), 100)
        failures = []
        exceptions_used = set()
        for i, q in enumerate(QUERIES):
            qname, qtype, kw = q
            kw = dict(kw)
            tcp = kw.pop('tcp', False)
            wire = h.make_query(qname, qtype, qid=0x1000 + i, **kw)
            lab = label(q)
            try:
                k = self.exchange(self.knot, wire, tcp)
            except Exception as e:  # noqa: BLE001
                failures.append('%s: knot reply unparsable: %s' % (lab, e))
                continue
            try:
                f = self.exchange(self.fodns, wire, tcp)
            except Exception as e:  # noqa: BLE001
                failures.append('%s: fodns reply unparsable: %s' % (lab, e))
                continue
            if k is None or f is None:
                if (k is None) != (f is None):
                    failures.append('%s: knot %s, fodns %s' % (
                        lab, 'no reply' if k is None else 'replied',
                        'no reply' if f is None else 'replied:\n' + str(f)))
                continue
            exc = EXCEPTIONS.get(lab)
            if exc and exc[1] == 'any_minimal':
                exceptions_used.add(lab)
                diffs = self.any_check(q, k, f)
            else:
                diffs = compare_header(q, k, f, exc is not None and exc[1] == 'question_optional')
                if exc and exc[1] == 'question_optional':
                    exceptions_used.add(lab)
                diffs += compare_section('answer', k, f)
                diffs += compare_section('authority', k, f)
                if exc and exc[1] == 'additional_superset':
                    exceptions_used.add(lab)
                    fk = {rr.key() for rr in f.additional}
                    missing = [rr for rr in k.additional if rr.key() not in fk]
                    if missing:
                        diffs.append('additional: fodns lacks Knot\'s\n' + rrset_text(missing))
                else:
                    diffs += compare_section('additional', k, f)
            if diffs:
                failures.append('%s:\n  %s\n  --- knot:\n%s\n  --- fodns:\n%s' % (
                    lab, '\n  '.join(diffs), _indent(str(k)), _indent(str(f))))
        if failures:
            type(self)._failed = True
        if not self.fodns.alive():
            failures.append('fodns died during the run')
        self.assertFalse(failures, '\n%d of %d queries differ from Knot:\n\n%s' % (
            len(failures), len(QUERIES), '\n\n'.join(failures)))
        self.assertEqual(exceptions_used, set(EXCEPTIONS))


def _indent(text):
    return '\n'.join('    ' + line for line in text.splitlines())


if __name__ == '__main__':
    unittest.main(verbosity=2)
