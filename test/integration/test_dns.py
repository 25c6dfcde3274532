"""End-to-end tests of `fodns serve`: the answer rules of issue 2.

fodns loads zones/example.net.zone, zones/test-rules.zone and
test/integration/zones/lowttl.test.zone and serves them on 127.0.0.1 and ::1
(random port, 2 threads). Queries go out with a raw client (struct) and, for
a few, with dig over UDP and TCP. Claims:

- AA is set on authoritative answers.
- The question is echoed with the client's case (0x20, SiP.ExAmPlE.NeT);
  names are matched case-insensitively.
- Class CH (and other non-IN classes) gets REFUSED.
- NXDOMAIN and NODATA carry the zone's SOA in authority with TTL
  min(SOA TTL, SOA MINIMUM) (rules.test: 60 = MINIMUM, lowttl.test:
  20 = SOA TTL, example.net: 30).
- An empty non-terminal is NODATA; an unknown qtype (TYPE65280) is NODATA.
- CNAME chains are followed in zone; an out-of-zone target ends the answer;
  a dangling target gives NXDOMAIN with the CNAME (RFC 6604); CNAME to an
  ENT gives NODATA with the CNAME.
- RFC 4592 wildcards: synthesized owner = qname; no match for an existing
  name or below an empty non-terminal; NODATA for other types at a wildcard;
  wildcard below ENTs; wildcard CNAME followed.
- Delegations (at and below the cut): referral, NS in authority, glue in
  additional, no AA.
- Additional: A/AAAA of SRV, MX and NS targets; for NAPTR, the SRV of the
  replacements and their A/AAAA (RFC 3263).
- Out-of-zone: REFUSED. Unknown opcode (STATUS): NOTIMP. QR set: no answer.
- EDNS: OPT echoed with payload 1232; version 1 gets BADVERS; unknown options
  ignored; two OPTs: FORMERR.
- 60 TXT at one name: UDP without EDNS (and with 1232) -> TC=1 and no
  partial RRset; over TCP complete.
- TCP: two pipelined queries on one connection are both answered; an idle
  connection is closed by the server (skipped if that takes more than 15 s).
- ANY: a minimal non-empty answer (RFC 8482), never NOTIMP.
- SOA and NS at the apex, NS with glue; the ::1 listener answers.
- A `fodns record add` while serving is answered within 1.5 s and bumps the
  SOA serial by exactly 1.
"""

import os
import socket
import struct
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fodns_harness as h  # noqa: E402

RT = 'rules.test.'
EN = 'example.net.'


def addrs(rrs):
    return sorted(rr.text for rr in rrs)


class ServerTest(unittest.TestCase):
    server = None

    @classmethod
    def setUpClass(cls):
        # FODNS_E2E_SELFTEST=1 runs these tests against Knot: checks the tests themselves.
        cls.server = h.Knot() if os.environ.get('FODNS_E2E_SELFTEST') else h.Fodns()
        try:
            cls.server.start()
        except Exception:
            cls.server.cleanup(failed=True)
            raise
        cls._failed = False

    @classmethod
    def tearDownClass(cls):
        if cls.server:
            cls.server.cleanup(failed=cls._failed)

    def run(self, result=None):
        before = len(result.failures) + len(result.errors) if result else 0
        out = super().run(result)
        if result and len(result.failures) + len(result.errors) > before:
            type(self)._failed = True
        return out

    def q(self, qname, qtype='A', **kw):
        m = self.server.query(qname, qtype, **kw)
        self.assertIsNotNone(m, 'no reply to %s %s %r' % (qname, qtype, kw))
        return m

    def assertAnswer(self, m, rcode=h.NOERROR, aa=True):
        self.assertEqual(h.rcode_name(m.rcode), h.rcode_name(rcode), str(m))
        self.assertTrue(m.qr, str(m))
        self.assertEqual(m.aa, aa, 'AA\n' + str(m))

    def assertNegative(self, m, rcode, zone, ttl):
        """NXDOMAIN/NODATA: exactly the zone's SOA in authority with the negative TTL."""
        self.assertAnswer(m, rcode)
        soa = m.rrs('authority', 'SOA')
        self.assertEqual(len(soa), 1, str(m))
        self.assertEqual(soa[0].name.lower(), zone, str(m))
        self.assertEqual(soa[0].ttl, ttl, 'negative TTL must be min(SOA TTL, MINIMUM)\n' + str(m))

    def assertNodata(self, m, zone=RT, ttl=60):
        self.assertNegative(m, h.NOERROR, zone, ttl)
        self.assertEqual(m.answer, [], str(m))


class AnswerRules(ServerTest):
    # --- AA, case -----------------------------------------------------------
    def test_aa_on_authoritative_answer(self):
        m = self.q('sip.' + EN, 'A')
        self.assertAnswer(m)
        self.assertEqual(addrs(m.answer), ['127.0.1.1', '127.0.1.2'])
        self.assertTrue(all(rr.ttl == 30 for rr in m.answer), str(m))

    def test_question_echoed_with_client_case(self):
        wire = h.make_query('SiP.ExAmPlE.NeT.', 'A', qid=0x2020)
        reply = self.server.raw_udp(wire)
        self.assertIsNotNone(reply)
        qlen = len(h.encode_name('SiP.ExAmPlE.NeT.')) + 4
        self.assertEqual(reply[12:12 + qlen], wire[12:12 + qlen], '0x20: question must keep the client case')
        m = h.Message(reply)
        self.assertAnswer(m)
        self.assertEqual(addrs(m.answer), ['127.0.1.1', '127.0.1.2'])
        for rr in m.answer:
            self.assertEqual(rr.name.lower(), 'sip.example.net.')

    def test_names_match_case_insensitively(self):
        for name in ('mixedcase.rules.test.', 'MIXEDCASE.RULES.TEST.', 'MixedCase.Rules.Test.'):
            m = self.q(name, 'A')
            self.assertAnswer(m)
            self.assertEqual(addrs(m.answer), ['192.0.2.7'], name)

    def test_class_ch_refused(self):
        for qclass in ('CH', 'HS'):
            m = self.q(RT, 'SOA', qclass=qclass)
            self.assertEqual(h.rcode_name(m.rcode), 'REFUSED', str(m))
            self.assertEqual(m.answer, [])

    # --- negative answers -----------------------------------------------------
    def test_nxdomain_with_soa_min_ttl(self):
        self.assertNegative(self.q('nothere.' + RT), h.NXDOMAIN, RT, 60)
        self.assertNegative(self.q('deep.nothere.' + RT, 'AAAA'), h.NXDOMAIN, RT, 60)
        self.assertNegative(self.q('x.lowttl.test.'), h.NXDOMAIN, 'lowttl.test.', 20)
        self.assertNegative(self.q('nothere.' + EN), h.NXDOMAIN, EN, 30)

    def test_nodata_with_soa_min_ttl(self):
        self.assertNodata(self.q('ns1.' + RT, 'TXT'))
        self.assertNodata(self.q('mixed.' + RT, 'AAAA'))
        self.assertNodata(self.q('a.lowttl.test.', 'TXT'), 'lowttl.test.', 20)
        self.assertNodata(self.q(EN, 'A'), EN, 30)

    def test_empty_non_terminal_is_nodata(self):
        for name in ('ent.' + RT, 'sub.ent.' + RT, 'users.' + RT, 'dyn.users.' + RT,
                     'ent.wild.' + RT, '_tcp.' + RT):
            self.assertNodata(self.q(name, 'A'))
        self.assertNodata(self.q('office.' + EN, 'A'), EN, 30)
        self.assertNodata(self.q('_udp.' + EN, 'SRV'), EN, 30)
        # below the ENT, a missing name is NXDOMAIN
        self.assertNegative(self.q('x.sub.ent.' + RT), h.NXDOMAIN, RT, 60)

    def test_unknown_qtype_is_nodata(self):
        self.assertNodata(self.q('sip.' + RT, 'TYPE65280'))
        self.assertNodata(self.q(RT, 'TYPE65280'))
        self.assertNegative(self.q('nothere.' + RT, 'TYPE65280'), h.NXDOMAIN, RT, 60)

    # --- CNAME ----------------------------------------------------------------
    def test_cname_chain_followed_in_zone(self):
        m = self.q('www.' + RT, 'A')
        self.assertAnswer(m)
        got = sorted((rr.name.lower(), h.type_name(rr.rtype), rr.text.lower()) for rr in m.answer)
        self.assertEqual(got, [('host.rules.test.', 'A', '192.0.2.80'),
                               ('web.rules.test.', 'CNAME', 'host.rules.test.'),
                               ('www.rules.test.', 'CNAME', 'web.rules.test.')], str(m))
        m = self.q('www.' + EN, 'A')
        self.assertAnswer(m)
        self.assertEqual(len(m.rrs('answer', 'CNAME')), 1, str(m))
        self.assertEqual(addrs(m.rrs('answer', 'A')), ['127.0.2.80'])

    def test_cname_query_type_not_followed(self):
        m = self.q('www.' + RT, 'CNAME')
        self.assertAnswer(m)
        self.assertEqual([rr.text.lower() for rr in m.answer], ['web.rules.test.'], str(m))

    def test_cname_out_of_zone_target(self):
        m = self.q('ext.' + RT, 'A')
        self.assertAnswer(m)
        self.assertEqual([(h.type_name(rr.rtype), rr.text.lower()) for rr in m.answer],
                         [('CNAME', 'sip.example.com.')], str(m))

    def test_cname_dangling_is_nxdomain_with_cname(self):
        m = self.q('dangling.' + RT, 'A')
        self.assertNegative(m, h.NXDOMAIN, RT, 60)
        self.assertEqual([h.type_name(rr.rtype) for rr in m.answer], ['CNAME'], str(m))

    def test_cname_to_ent_is_nodata_with_cname(self):
        m = self.q('toent.' + RT, 'A')
        self.assertNegative(m, h.NOERROR, RT, 60)
        self.assertEqual([h.type_name(rr.rtype) for rr in m.answer], ['CNAME'], str(m))

    # --- wildcards ------------------------------------------------------------
    def test_wildcard_synthesis_owner_is_qname(self):
        for name in ('foo.wild.' + RT, 'a.b.c.wild.' + RT, 'FoO.WiLd.rules.test.'):
            m = self.q(name, 'A')
            self.assertAnswer(m)
            self.assertEqual(len(m.answer), 1, str(m))
            self.assertEqual(m.answer[0].name.lower(), name.lower(), 'synthesized owner = qname')
            self.assertEqual(m.answer[0].text, '192.0.2.100')
            self.assertEqual(m.answer[0].ttl, 300)
        m = self.q('foo.wild.' + RT, 'TXT')
        self.assertAnswer(m)
        self.assertEqual([rr.text for rr in m.answer], ['"wildcard"'])

    def test_wildcard_nodata_for_other_types(self):
        self.assertNodata(self.q('foo.wild.' + RT, 'AAAA'))
        self.assertNodata(self.q('foo.phones.' + EN, 'AAAA'), EN, 30)

    def test_wildcard_does_not_match_existing_name(self):
        self.assertNodata(self.q('exists.wild.' + RT, 'TXT'))
        m = self.q('exists.wild.' + RT, 'A')
        self.assertEqual(addrs(m.answer), ['192.0.2.101'])

    def test_wildcard_does_not_match_below_ent(self):
        # ent.wild exists (empty non-terminal), so *.wild does not cover x.ent.wild.
        self.assertNegative(self.q('x.ent.wild.' + RT), h.NXDOMAIN, RT, 60)

    def test_wildcard_below_ent(self):
        m = self.q('pc1.dyn.users.' + RT, 'A')
        self.assertAnswer(m)
        self.assertEqual([(rr.name.lower(), rr.text) for rr in m.answer],
                         [('pc1.dyn.users.rules.test.', '192.0.2.110')])
        self.assertNegative(self.q('x.users.' + RT), h.NXDOMAIN, RT, 60)

    def test_wildcard_cname_followed(self):
        m = self.q('anything.alias.' + RT, 'A')
        self.assertAnswer(m)
        cn = m.rrs('answer', 'CNAME')
        self.assertEqual([(rr.name.lower(), rr.text.lower()) for rr in cn],
                         [('anything.alias.rules.test.', 'sip.rules.test.')], str(m))
        self.assertEqual(addrs(m.rrs('answer', 'A')), ['192.0.2.11', '192.0.2.12'])

    # --- delegation ---------------------------------------------------------
    def test_referral_at_and_below_cut(self):
        for name, qtype in (('child.' + RT, 'A'), ('child.' + RT, 'NS'), ('www.child.' + RT, 'A'),
                            ('ns.child.' + RT, 'A'), ('a.b.child.' + RT, 'MX')):
            m = self.q(name, qtype)
            self.assertAnswer(m, h.NOERROR, aa=False)
            self.assertEqual(m.answer, [], str(m))
            ns = m.rrs('authority', 'NS')
            self.assertEqual(sorted(rr.text.lower() for rr in ns),
                             ['ns.child.rules.test.', 'ns.elsewhere.example.'], str(m))
            self.assertTrue(all(rr.name.lower() == 'child.rules.test.' for rr in ns))
            self.assertEqual(m.rrs('authority', 'SOA'), [], str(m))
            glue = sorted((h.type_name(rr.rtype), rr.text) for rr in m.additional)
            self.assertEqual(glue, [('A', '192.0.2.53'), ('AAAA', '2001:db8::53')], str(m))
        m = self.q('x.customer.' + EN, 'A')
        self.assertAnswer(m, h.NOERROR, aa=False)
        self.assertEqual(addrs(m.rrs('additional', 'A')), ['127.0.5.53'])

    # --- additional section ---------------------------------------------------
    def test_additional_for_srv(self):
        m = self.q('_sip._udp.' + RT, 'SRV')
        self.assertAnswer(m)
        self.assertEqual(len(m.answer), 2)
        add = sorted((rr.name.lower(), rr.text) for rr in m.additional)
        self.assertEqual(add, [('sip1.rules.test.', '192.0.2.11'), ('sip1.rules.test.', '2001:db8::11'),
                               ('sip2.rules.test.', '192.0.2.12')], str(m))

    def test_additional_for_mx(self):
        m = self.q(RT, 'MX')
        self.assertAnswer(m)
        add = sorted((rr.name.lower(), rr.text) for rr in m.additional)
        self.assertEqual(add, [('mail.rules.test.', '192.0.2.25'), ('mail.rules.test.', '2001:db8::25')])

    def test_additional_for_naptr(self):
        m = self.q(RT, 'NAPTR', edns=True)
        self.assertAnswer(m)
        self.assertEqual(len(m.rrs('answer', 'NAPTR')), 2, str(m))
        srv = sorted((rr.name.lower(), rr.text.lower()) for rr in m.rrs('additional', 'SRV'))
        self.assertEqual(srv, [('_sip._tcp.rules.test.', '10 50 5060 sip1.rules.test.'),
                               ('_sip._udp.rules.test.', '10 50 5060 sip1.rules.test.'),
                               ('_sip._udp.rules.test.', '20 50 5060 sip2.rules.test.')], str(m))
        adr = {(rr.name.lower(), rr.text) for rr in m.additional if rr.rtype in (1, 28)}
        self.assertEqual(adr, {('sip1.rules.test.', '192.0.2.11'), ('sip1.rules.test.', '2001:db8::11'),
                               ('sip2.rules.test.', '192.0.2.12')}, str(m))
        m = self.q(EN, 'NAPTR', edns=True)
        self.assertAnswer(m)
        self.assertEqual(len(m.rrs('additional', 'SRV')), 6, str(m))
        self.assertEqual({rr.text for rr in m.rrs('additional', 'A')}, {'127.0.1.1', '127.0.1.2'}, str(m))

    # --- refused / notimp / qr -----------------------------------------------
    def test_out_of_zone_refused(self):
        for name in ('example.com.', 'net.', '.', 'test.', 'xrules.test.'):
            m = self.q(name, 'A')
            self.assertEqual(h.rcode_name(m.rcode), 'REFUSED', str(m))
            self.assertFalse(m.aa)
            self.assertEqual(m.answer, [])

    def test_unknown_opcode_notimp(self):
        for opcode in (1, 2, 3, 6, 15):
            wire = h.make_query(RT, 'SOA', qid=0x4242, opcode=opcode)
            reply = self.server.raw_udp(wire)
            self.assertIsNotNone(reply, 'opcode %d: no reply' % opcode)
            m = h.Message(reply)
            self.assertEqual(m.id, 0x4242)
            self.assertEqual(h.rcode_name(m.rcode), 'NOTIMP', 'opcode %d\n%s' % (opcode, m))
            self.assertEqual(m.opcode, opcode)
            self.assertTrue(m.qr)
        # RFC 6891 section 7: a query with OPT gets an OPT in the reply, NOTIMP included.
        m = self.q(RT, 'SOA', opcode=2, edns=True)
        self.assertEqual(h.rcode_name(m.rcode), 'NOTIMP', str(m))
        self.assertIsNotNone(m.opt, 'NOTIMP reply to an EDNS query lacks the OPT record\n' + str(m))

    def test_qr_set_gets_no_answer(self):
        wire = h.make_query('sip.' + RT, 'A', qid=0x5151, qr=True)
        self.assertIsNone(self.server.raw_udp(wire, timeout=1.0))
        m = self.q('sip.' + RT, 'A')  # still alive
        self.assertAnswer(m)

    # --- EDNS ---------------------------------------------------------------
    def test_edns_opt_echoed_with_our_payload(self):
        for payload in (512, 1232, 4096):
            m = self.q(RT, 'SOA', edns=True, payload=payload)
            self.assertAnswer(m)
            self.assertIsNotNone(m.opt, 'OPT must be echoed')
            self.assertEqual(len(m.opts), 1)
            self.assertEqual(m.opt['payload'], 1232)
            self.assertEqual(m.opt['version'], 0)
            self.assertEqual(m.opt['owner'], '.')
        m = self.q(RT, 'SOA')
        self.assertIsNone(m.opt, 'no OPT without EDNS in the query')

    def test_edns_badvers(self):
        m = self.q(RT, 'SOA', edns=True, version=1)
        self.assertIsNotNone(m.opt, str(m))
        self.assertEqual(m.flags & 0xf, 0, 'header RCODE bits of BADVERS are 0')
        self.assertEqual(m.opt['ext_rcode'], 1)
        self.assertEqual(h.rcode_name(m.rcode), 'BADVERS')
        self.assertEqual(m.opt['version'], 0)
        self.assertEqual(m.answer, [])

    def test_edns_unknown_option_ignored(self):
        m = self.q('sip.' + RT, 'A', edns=True, options=[(65001, b'fodns'), (65002, b'')])
        self.assertAnswer(m)
        self.assertEqual(addrs(m.answer), ['192.0.2.11', '192.0.2.12'])
        self.assertIsNotNone(m.opt)

    def test_two_opts_formerr(self):
        wire = h.make_query(RT, 'SOA', qid=0x0707, edns=True, extra_opts=1)
        reply = self.server.raw_udp(wire)
        self.assertIsNotNone(reply)
        m = h.Message(reply)
        self.assertEqual(m.id, 0x0707)
        self.assertEqual(h.rcode_name(m.rcode), 'FORMERR', str(m))
        self.assertEqual(m.answer, [])

    # --- truncation and TCP ---------------------------------------------------
    def _big_ok(self, m, limit):
        self.assertLessEqual(len(m.wire), limit)
        self.assertTrue(m.tc, 'TC must be set\n' + str(m))
        txt = m.rrs('answer', 'TXT')
        self.assertIn(len(txt), (0, 60), 'partial RRset in a truncated answer')

    def test_udp_truncation_without_partial_rrset(self):
        m = self.q('big.' + RT, 'TXT')
        self._big_ok(m, 512)
        m = self.q('big.' + RT, 'TXT', edns=True)
        self._big_ok(m, 1232)
        self.assertIsNotNone(m.opt)

    def test_tcp_carries_the_full_rrset(self):
        for edns in (False, True):
            m = self.q('big.' + RT, 'TXT', tcp=True, edns=edns)
            self.assertAnswer(m)
            self.assertFalse(m.tc)
            self.assertEqual(len(m.rrs('answer', 'TXT')), 60, str(m))
            self.assertEqual(len({rr.rdata for rr in m.answer}), 60)

    def test_tcp_pipelined_queries(self):
        s = h.tcp_connect(self.server.addr, self.server.port)
        try:
            q1 = h.make_query('sip.' + RT, 'A', qid=0x1111)
            q2 = h.make_query('big.' + RT, 'TXT', qid=0x2222)
            q3 = h.make_query('nothere.' + RT, 'A', qid=0x3333)
            s.sendall(b''.join(struct.pack('!H', len(q)) + q for q in (q1, q2, q3)))
            got = {}
            for _ in range(3):
                r = h.tcp_recv(s)
                self.assertIsNotNone(r, 'connection closed before all answers')
                m = h.Message(r)
                got[m.id] = m
            self.assertEqual(set(got), {0x1111, 0x2222, 0x3333})
            self.assertEqual(addrs(got[0x1111].answer), ['192.0.2.11', '192.0.2.12'])
            self.assertEqual(len(got[0x2222].answer), 60)
            self.assertEqual(h.rcode_name(got[0x3333].rcode), 'NXDOMAIN')
            # the connection stays usable for another query
            h.tcp_send(s, h.make_query(RT, 'SOA', qid=0x4444))
            m = h.Message(h.tcp_recv(s))
            self.assertEqual(m.id, 0x4444)
        finally:
            s.close()

    def test_tcp_idle_timeout(self):
        s = h.tcp_connect(self.server.addr, self.server.port, timeout=15.0)
        start = time.time()
        try:
            data = s.recv(1)
            self.assertEqual(data, b'', 'server sent data on an idle connection')
        except ConnectionResetError:
            pass
        except socket.timeout:
            self.skipTest('idle TCP connection not closed within 15 s (timeout longer than the test waits)')
        finally:
            s.close()
        self.assertLess(time.time() - start, 15.5)

    # --- ANY ------------------------------------------------------------------
    def test_any_minimal_answer(self):
        for name, tcp in (('sip.' + RT, False), (RT, False), ('mixed.' + RT, True), (EN, True)):
            m = self.q(name, 'ANY', tcp=tcp)
            self.assertNotEqual(h.rcode_name(m.rcode), 'NOTIMP')
            self.assertAnswer(m)
            self.assertTrue(m.answer, 'RFC 8482: a non-empty answer\n' + str(m))
            for rr in m.answer:
                self.assertEqual(rr.name.lower(), name.lower())
        self.assertNegative(self.q('nothere.' + RT, 'ANY'), h.NXDOMAIN, RT, 60)

    # --- apex ----------------------------------------------------------------
    def test_apex_soa(self):
        m = self.q(RT, 'SOA')
        self.assertAnswer(m)
        self.assertEqual(len(m.answer), 1)
        self.assertEqual(m.answer[0].ttl, 3600)
        self.assertEqual(m.answer[0].text,
                         'ns1.rules.test. hostmaster.rules.test. 2026112801 3600 600 1209600 60')

    def test_apex_ns_with_glue(self):
        m = self.q(RT, 'NS')
        self.assertAnswer(m)
        self.assertEqual(sorted(rr.text.lower() for rr in m.answer), ['ns1.rules.test.', 'ns2.rules.test.'])
        add = sorted((rr.name.lower(), rr.text) for rr in m.additional)
        self.assertEqual(add, [('ns1.rules.test.', '192.0.2.1'), ('ns1.rules.test.', '2001:db8::1'),
                               ('ns2.rules.test.', '192.0.2.2')], str(m))
        m = self.q(EN, 'NS')
        self.assertEqual(len(m.additional), 3, str(m))

    # --- transports -----------------------------------------------------------
    def test_ipv6_listener(self):
        if not self.server.ipv6:
            self.skipTest('no ::1 on this machine')
        for tcp in (False, True):
            m = self.server.query('sip.' + RT, 'A', tcp=tcp, addr='::1')
            self.assertIsNotNone(m)
            self.assertAnswer(m)
            self.assertEqual(addrs(m.answer), ['192.0.2.11', '192.0.2.12'])

    def test_dig_udp_and_tcp(self):
        for tcp in (False, True):
            r = h.dig(self.server.addr, self.server.port, '_sip._udp.example.net.', 'SRV', tcp=tcp)
            if r is None:
                self.skipTest('dig not installed')
            status, flags, out = r
            self.assertEqual(status, 'NOERROR', out)
            self.assertIn('aa', flags, out)
            self.assertIn('5060 sip1.example.net.', out)
            self.assertIn('127.0.1.1', out)  # additional
            status, flags, out = h.dig(self.server.addr, self.server.port, 'nothere.example.net.', tcp=tcp)
            self.assertEqual(status, 'NXDOMAIN', out)


class CliEditWhileServing(ServerTest):
    """A `record add` committed by the CLI reaches the running server."""

    def serial(self):
        m = self.q(RT, 'SOA')
        return int(m.answer[0].text.split()[2])

    def test_record_add_noticed(self):
        self.assertNegative(self.q('new.' + RT), h.NXDOMAIN, RT, 60)
        before = self.serial()
        self.server.cli('record', 'add', 'new.rules.test.', '30', 'A', '192.0.2.99')
        t0 = time.time()
        m = None
        while time.time() - t0 < 1.5:
            m = self.q('new.' + RT)
            if m.answer:
                break
            time.sleep(0.05)
        self.assertTrue(m.answer, 'record not answered 1.5 s after `record add`\n' + str(m))
        self.assertAnswer(m)
        self.assertEqual([(rr.ttl, rr.text) for rr in m.answer], [(30, '192.0.2.99')])
        self.assertEqual(self.serial(), (before + 1) % 2 ** 32, 'SOA serial must go up by exactly 1')
        self.assertTrue(self.server.alive())


if __name__ == '__main__':
    unittest.main(verbosity=2)
