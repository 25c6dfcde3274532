"""End-to-end: fodns as the primary of real secondaries (issue 5).

Every test starts its own fleet on loopback (secondaries.Fleet): two Kamailio
instances (udp+tcp 127.0.1.1 / 127.0.1.2:5060) as the SIP backends sip1/sip2
that govern `sip.example.net A` (failover: sip1 priority 0, sip2 priority 10)
and the SRV targets; fodns with zones/example.net.zone, TSIG key `xfr-key.`
(hmac-sha256), `zone set --allow-transfer 127.0.0.1/32+key:xfr-key.` and
`--notify` to each secondary and to a NOTIFY counter; Knot DNS (knotd -c, its
own config, rundir, storage and journal in a temp dir) and NSD (nsd -d -c,
username "", zonesdir, xfrd state, control socket in a temp dir) as
secondaries with the key on SOA/IXFR/AXFR and on NOTIFY. NSD reaches fodns
through a transparent tap (secondaries.XfrTap) that records each request type
and the shape of its answer, since NSD's release build does not log whether
it got IXFR or AXFR; Knot's log says it ("IXFR, incoming, ..., finished").
Claims:

0. The harness itself (TSIG signing and verification, transfer shapes, the
   tap, the Knot/NSD log parsing) gives the expected results against Knot
   DNS as the primary, so a failure below is fodns's, not the harness's.
1. After the initial transfer, Knot's and NSD's AXFR equal fodns's signed
   AXFR as sets, and for every (name, type) of the zone their answers (RCODE,
   AA, answer section) equal fodns's.
2. Failover reaches the secondaries: when sip1 is killed (SIGKILL) or
   drained, both secondaries serve the failover answer (`sip.example.net A`
   = the backup) within 2 s of fodns serving it, and the primary again after
   it comes back; every transfer after the first was IXFR (Knot's log; for
   NSD an IXFR request answered incrementally at the tap), and the NOTIFYs
   they accepted were signed (their ACLs require the key). Prints the time
   from the backend's death to the changed answer at the secondaries (median
   of FODNS_E2E_TRIALS, default 10) and the IXFR size.
3. A TSIG-signed SOA query (a secondary's refresh) gets a signed answer over
   UDP and TCP. Transfers are refused unless allowed: unsigned AXFR/IXFR -> REFUSED; a
   wrong secret -> NOTAUTH + TSIG BADSIG; an unknown key -> NOTAUTH + BADKEY;
   a request signed 1000 s in the past -> NOTAUTH + BADTIME, signed; a
   correctly signed request from 127.0.0.2 (outside 127.0.0.1/32) ->
   REFUSED; dig prints "; Transfer failed." for each; /metrics
   fodns_xfr_requests_total{result="refused"|"notauth"} count each exactly.
   The allowed signed AXFR
   succeeds, SOA first and last, and every TSIG in it verifies.
4. `kdig -y ... AXFR` output saved to a file parses with ldns-read-zone, has
   the SOA first and last, and, signed with a throwaway key by ldns-signzone,
   is accepted by ldns-verify-zone (which checks only signed zones);
   named-checkzone too when it is installed.
5. Journal (--journal-max 3): after 5 changes made while both secondaries
   are stopped, an IXFR from their old serial gets the whole zone (RFC 1995
   §4: SOA, the zone, SOA, equal to the AXFR), an IXFR from the previous
   serial gets an increment and from the current one a single SOA; both
   secondaries started again (plus a refresh command) converge on fodns's
   answers, NSD having asked IXFR and got the full zone (Knot logs
   "AXFR-style IXFR"); /metrics counts ixfr_full, ixfr and up_to_date.
6. 50 drain/resume flaps in about 5 s, then a final drain, cause at most 7
   NOTIFYs to each notify target (about one per 1 s window), all signed and
   verifiable, and the secondaries end on the final state (the backup only,
   fodns's serial) within 3 s.
7. A 100,000-record zone (FODNS_E2E_BIG): the signed AXFR has every record
   once, SOA first and last, and every TSIG of the multi-message stream
   verifies (our client, kdig, and Knot as a secondary); one change then
   reaches Knot by IXFR. Prints AXFR and IXFR time and bytes.
"""

import os
import re
import shutil
import subprocess
import sys
import sqlite3
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fodns_harness as h  # noqa: E402
import secondaries as s  # noqa: E402
from secondaries import EN, SIP, PRIMARY_SIP, BACKUP_SIP  # noqa: E402

TRIALS = int(os.environ.get('FODNS_E2E_TRIALS', '10'))
SECONDARY_LAG_S = 2.0  # issue 5: the secondaries follow within 2 s
FLIP_S = 5.0


def missing_tools():
    need = {'knotd': h.knotd_binary(), 'nsd': shutil.which('nsd'), 'kamailio': h.kamailio_binary(),
            'dig': shutil.which('dig'), 'kdig': shutil.which('kdig'),
            'knotc': shutil.which('knotc'), 'nsd-control': shutil.which('nsd-control'),
            'ldns-verify-zone': shutil.which('ldns-verify-zone')}
    return [k for k, v in need.items() if not v]


class SecondariesTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        miss = missing_tools()
        if miss:
            raise unittest.SkipTest('not installed: %s (tools/setup.sh installs them)'
                                    % ', '.join(miss))

    # --- fixtures -----------------------------------------------------------
    def _failed(self):
        outcome = getattr(self, '_outcome', None)
        if outcome is None:
            return False
        res = getattr(outcome, 'result', None)
        if res is not None and hasattr(res, 'failures'):
            return any(t is self for t, _ in res.failures + res.errors)
        return not getattr(outcome, 'success', True)

    def fleet(self, **kw):
        fl = s.Fleet(**kw)
        self.addCleanup(lambda: fl.cleanup(failed=self._failed()))
        fl.start()
        self.fl = fl
        return fl

    def check(self, cond, msg):
        if not cond:
            self.fail('%s\n%s' % (msg, self.fl.diag() if hasattr(self, 'fl') else ''))

    def tearDown(self):
        fl = getattr(self, 'fl', None)
        if fl is not None:
            self.assertTrue(fl.f.alive(), 'fodns serve died\n' + fl.f.log_text())

    # --- helpers ------------------------------------------------------------
    def wait_all(self, pred_by_name, timeout):
        """Poll every 50 ms; returns {name: seconds until pred() was first true
        or None}. The clock starts at the call."""
        t0 = time.monotonic()
        got = {n: None for n in pred_by_name}
        while time.monotonic() - t0 < timeout and None in got.values():
            for n, p in pred_by_name.items():
                if got[n] is None:
                    try:
                        ok = p()
                    except (OSError, h.ParseError):
                        ok = False
                    if ok:
                        got[n] = time.monotonic() - t0
            time.sleep(0.05)
        return got

    def answer_preds(self, want):
        fl = self.fl
        return {'fodns': lambda: fl.f.addrs(SIP) == want,
                'knot': lambda: fl.knot.addrs(SIP) == want,
                'nsd': lambda: fl.nsd.addrs(SIP) == want}

    def signed_axfr(self):
        t = self.fl.f.axfr(EN, self.fl.key)
        self.check(t.rcode == h.NOERROR and t.complete and not t.tsig_problems,
                   'signed AXFR from fodns failed: %r' % t)
        return t

    def assert_same_zone(self, who):
        want = self.signed_axfr().rrset()
        for d in who:
            got = d.axfr(EN)
            self.check(got.complete, '%s AXFR failed: %r' % (d.name, got))
            self.check(got.rrset() == want,
                       '%s serves another zone than fodns:\n only at %s: %s\n only at fodns: %s'
                       % (d.name, d.name, sorted(got.rrset() - want), sorted(want - got.rrset())))

    # --- 0 ------------------------------------------------------------------
    def test_0_harness_against_knot_primary(self):
        """The harness reads Knot-as-primary right (see module docstring)."""
        key = s.Key('xfr-key.')
        with open(os.path.join(h.ZONES, 'example.net.zone')) as fh:
            text = fh.read()
        # Enough records for a multi-message AXFR (TSIG on a stream).
        text += ''.join('bulk%d 300 IN A 10.0.%d.%d\n' % (i, i >> 8, i & 255) for i in range(6000))
        port = s.free_loopback_port()
        tap = s.XfrTap('127.0.0.1', port)
        self.addCleanup(tap.close)
        knot = s.KnotSecondary([EN], key, '127.0.0.1', port)
        nsd = s.NsdSecondary([EN], key, tap.addr, tap.port)
        knot.port, nsd.port = s.free_loopback_port(), s.free_loopback_port()
        prim = s.KnotPrimary(EN, text, key, notify=[('127.0.0.1', knot.port),
                                                    ('127.0.0.1', nsd.port)])
        prim.port = port
        for p in (prim, knot, nsd):
            self.addCleanup(lambda p=p: p.cleanup(self._failed()))
            p.start()
        ok, _ = s.poll(lambda: knot.serial(EN) == nsd.serial(EN) == 2026112801, 10)
        self.assertTrue(ok, 'secondaries of Knot did not load the zone\n%s\n%s'
                        % (knot.log_tail(), nsd.log_tail()))
        t = s.transfer('127.0.0.1', port, EN, key=key)
        self.assertTrue(t.complete and t.rcode == h.NOERROR and not t.tsig_problems, repr(t))
        self.assertEqual(t.kind(), 'AXFR', repr(t))
        self.assertGreater(len(t.messages), 1, 'a multi-message AXFR: %r' % t)
        style = s.transfer('127.0.0.1', port, EN, 'IXFR', serial=2026112700, key=key)
        self.assertEqual(style.kind(), 'AXFR', 'IXFR from an unknown serial: %r' % style)
        self.assertEqual(style.rrset(), t.rrset())
        bad = s.transfer('127.0.0.1', port, EN, key=key.with_secret(s.new_secret()))
        self.assertEqual((bad.rcode, bad.tsig_error), (s.NOTAUTH, s.BADSIG), repr(bad))
        bad = s.transfer('127.0.0.1', port, EN, key=key.renamed('nobody.'))
        self.assertEqual((bad.rcode, bad.tsig_error), (s.NOTAUTH, s.BADKEY), repr(bad))
        since = time.monotonic()
        prim.set_zone_text(text.replace('2026112801', '2026112802').replace(
            'sip         30 IN A    127.0.1.1\n', ''))
        ok, _ = s.poll(lambda: knot.addrs(SIP) == nsd.addrs(SIP) == {BACKUP_SIP}, 10)
        self.assertTrue(ok, 'secondaries of Knot missed the change\n%s\n%s'
                        % (knot.log_tail(), nsd.log_tail()))
        self.assertEqual([k for k, _ in knot.transfers(EN)], ['AXFR', 'IXFR'],
                         knot.transfers(EN))
        self.assertEqual(tap.transfers(since), [('IXFR', 'IXFR')], tap.events)
        inc = s.transfer('127.0.0.1', port, EN, 'IXFR', serial=2026112801, key=key)
        self.assertEqual(inc.kind(), 'IXFR', repr(inc))
        cur = s.transfer('127.0.0.1', port, EN, 'IXFR', serial=2026112802, key=key)
        self.assertEqual(cur.kind(), 'SOA', repr(cur))

    # --- 1 ------------------------------------------------------------------
    def test_1_initial_transfer_equal_answers(self):
        fl = self.fleet()
        self.assert_same_zone(fl.secondaries)
        zone = self.signed_axfr()
        sip_a = {rr.text for rr in zone.records if rr.name.lower() == SIP and rr.rtype == 1}
        self.assertEqual(sip_a, {PRIMARY_SIP}, 'the AXFR is the served zone, health applied '
                         '(failover policy: the primary tier only)')
        keys = sorted({(rr.name.lower(), rr.rtype) for rr in zone.records})
        diffs = []
        for name, rtype in keys:
            ref = fl.f.query(name, rtype, timeout=1.0)
            for d in fl.secondaries:
                got = d.query(name, rtype, timeout=1.0)
                a = (ref.rcode, ref.aa, sorted(rr.key() for rr in ref.answer)) if ref else None
                b = (got.rcode, got.aa, sorted(rr.key() for rr in got.answer)) if got else None
                if a != b:
                    diffs.append('%s %s: fodns %s\n%s: %s' % (name, h.type_name(rtype), ref,
                                                              d.name, got))
        self.check(not diffs, 'answers differ from fodns for %d queries:\n%s'
                   % (len(diffs), '\n'.join(diffs)))
        sys.stderr.write('checked %d (name, type) pairs at 2 secondaries\n' % len(keys))

    # --- 2 ------------------------------------------------------------------
    def flip(self, action, want, label):
        """action(); returns {fodns/knot/nsd: seconds to serve `want`}."""
        t0 = time.monotonic()
        action()
        got = self.wait_all(self.answer_preds(want), FLIP_S + SECONDARY_LAG_S)
        self.check(None not in got.values(),
                   '%s: %s A did not become %s everywhere: %r (knot %r, nsd %r)'
                   % (label, SIP, sorted(want), got, self.fl.knot.addrs(SIP),
                      self.fl.nsd.addrs(SIP)))
        lag = max(got['knot'], got['nsd']) - got['fodns']
        self.check(lag <= SECONDARY_LAG_S,
                   '%s: the secondaries served the change %.2f s after fodns (limit %.1f): %r'
                   % (label, lag, SECONDARY_LAG_S, got))
        got['took'] = time.monotonic() - t0
        return got

    def test_2_failover_reaches_secondaries_by_ixfr(self):
        fl = self.fleet()
        knot_before = len(fl.knot.transfers(EN))
        since = time.monotonic()
        deaths = []
        for i in range(TRIALS):
            # A death after a quiet second: the NOTIFY is not held back by the
            # 1 s coalescing window of the previous change (the restart's).
            time.sleep(1.1)
            down = self.flip(fl.k1.kill, {BACKUP_SIP}, 'kill #%d' % i)
            deaths.append(down)
            self.flip(fl.k1.start, {PRIMARY_SIP}, 'restart #%d' % i)
        drains = []
        for i in range(3):
            time.sleep(1.1)
            drains.append(self.flip(lambda: fl.f.cli('backend', 'drain', 'sip1'), {BACKUP_SIP},
                                    'drain #%d' % i))
            self.flip(lambda: fl.f.cli('backend', 'resume', 'sip1'), {PRIMARY_SIP},
                      'resume #%d' % i)
        # Every transfer after the initial one was incremental.
        knot_x = fl.knot.transfers(EN)[knot_before:]
        self.check(knot_x and all(k == 'IXFR' for k, _ in knot_x),
                   'Knot: transfers after the first were not all IXFR:\n%s'
                   % '\n'.join(l for _, l in knot_x))
        nsd_x = fl.tap.transfers(since)
        self.check(nsd_x and all(x == ('IXFR', 'IXFR') for x in nsd_x),
                   'NSD: transfers (request, answer shape) were not all IXFR: %r' % nsd_x)
        # The NOTIFYs the secondaries accepted were signed: their ACLs need the key.
        self.check(len(fl.knot.notifies(EN)) >= 2 * (TRIALS + 3),
                   'Knot accepted %d NOTIFYs for %d changes' % (len(fl.knot.notifies(EN)),
                                                               2 * (TRIALS + 3)))
        denied = [l for l in fl.knot.log_text().splitlines() if 'denied' in l.lower()]
        self.check(not denied, 'Knot denied something:\n%s' % '\n'.join(denied))
        # Figures.
        sec = [max(d['knot'], d['nsd']) for d in deaths]
        s.figure('backend death (SIGKILL) -> failover answer at both secondaries: median %.2f s, '
                 'min %.2f, max %.2f over %d trials (probe interval 200ms, fall 2)'
                 % (s.median(sec), min(sec), max(sec), len(sec)))
        s.figure('backend death -> answer at fodns: median %.2f s; fodns -> secondaries lag: '
                 'median %.2f s, max %.2f s'
                 % (s.median([d['fodns'] for d in deaths]),
                    s.median([x - d['fodns'] for x, d in zip(sec, deaths)]),
                    max(x - d['fodns'] for x, d in zip(sec, deaths))))
        s.figure('drain command -> answer at both secondaries: median %.2f s over %d trials'
                 % (s.median([max(d['knot'], d['nsd']) for d in drains]), len(drains)))
        sizes = [int(m.group(1)) for _, l in knot_x
                 for m in [re.search(r'(\d+) bytes', l)] if m]
        if sizes:
            s.figure('IXFR of one failover change (Knot log): median %d bytes, e.g. %s'
                     % (s.median(sizes), knot_x[0][1].split('] ', 1)[-1]))

    # --- 3 ------------------------------------------------------------------
    def test_3_denied_transfers(self):
        fl = self.fleet(http=True)
        f, key = fl.f, fl.key
        before = f.xfr_counts()
        cases = [
            ('unsigned AXFR', dict(), h.REFUSED, None),
            ('unsigned IXFR', dict(qtype='IXFR', serial=1), h.REFUSED, None),
            ('wrong secret', dict(key=key.with_secret(s.new_secret())), s.NOTAUTH, s.BADSIG),
            ('unknown key name', dict(key=key.renamed('nobody.')), s.NOTAUTH, s.BADKEY),
            ('signed 1000 s ago', dict(key=key, time_signed=int(time.time()) - 1000),
             s.NOTAUTH, s.BADTIME),
            ('signed, from 127.0.0.2', dict(key=key, source='127.0.0.2'), h.REFUSED, None),
        ]
        problems = []
        for label, kw, rcode, tsig_error in cases:
            t = s.transfer(f.addr, f.port, EN, **kw)
            got = (t.rcode, t.tsig_error if tsig_error is not None else None)
            if got != (rcode, tsig_error) or t.records:
                problems.append('%s: want rcode %s TSIG error %s and no records, got %r'
                                % (label, s.rcode_name(rcode),
                                   s.TSIG_ERRORS.get(tsig_error), t))
            if tsig_error == s.BADTIME:
                # RFC 8945 §5.2.3: BADTIME is signed, Other Data = the server's time.
                tsig = s.Tsig(t.messages[0].wire) if t.messages else None
                if not (tsig and tsig.present and tsig.mac and len(tsig.other) == 6):
                    problems.append('BADTIME response not signed with the server time: %r' % t)
                elif any('MAC' in p or 'unsigned' in p for p in t.tsig_problems):
                    problems.append('BADTIME response MAC does not verify: %s' % t.tsig_problems)
            if tsig_error in (s.BADSIG, s.BADKEY) and t.messages:
                tsig = s.Tsig(t.messages[0].wire)
                if tsig.present and tsig.mac:
                    problems.append('%s: RFC 8945 §5.2: the error response has an empty MAC'
                                    % label)
        # A signed SOA query, as Knot's and NSD's refresh send it, gets a signed answer.
        for tcp in (False, True):
            m, tsig, bad = s.signed_query(f.addr, f.port, EN, 'SOA', key, tcp=tcp)
            if m is None or m.rcode != h.NOERROR or not m.answer or bad:
                problems.append('signed SOA query over %s: want a NOERROR answer signed with '
                                '%s, got %s / TSIG problems %s' % ('TCP' if tcp else 'UDP',
                                                                   key.name, m, bad))
        # dig says so too.
        for label, dkey, src in (('unsigned', None, None),
                                 ('wrong secret', key.with_secret(s.new_secret()), None),
                                 ('unknown key', key.renamed('nobody.'), None),
                                 ('from 127.0.0.2', key, '127.0.0.2')):
            _, out = s.dig_axfr(f.addr, f.port, EN, key=dkey, source=src)
            if '; Transfer failed.' not in out:
                problems.append('dig AXFR %s: no "; Transfer failed.":\n%s' % (label, out))
        # Each denied request is counted: 3 + 2 by dig REFUSED, 3 + 2 by dig NOTAUTH.
        after = f.xfr_counts()
        for result, n in (('refused', 5), ('notauth', 5)):
            got = after.get(result, 0) - before.get(result, 0)
            if got != n:
                problems.append('/metrics fodns_xfr_requests_total{result="%s"} went up by %s, '
                                'want %d (before %r, after %r)' % (result, got, n, before, after))
        # The allowed one works, fully signed.
        t = s.transfer(f.addr, f.port, EN, key=key)
        if not (t.rcode == h.NOERROR and t.complete and not t.tsig_problems and
                t.records[0].rtype == 6 and t.records[-1].rtype == 6):
            problems.append('allowed signed AXFR: %r' % t)
        rc, out = s.dig_axfr(f.addr, f.port, EN, key=key)
        if 'Transfer failed' in out or 'verify' in out.lower() or 'SOA' not in out:
            problems.append('dig -y AXFR (allowed):\n%s' % out)
        self.check(not problems, '\n'.join(problems))

    # --- 4 ------------------------------------------------------------------
    def test_4_kdig_axfr_verifies(self):
        fl = self.fleet()
        tmp = fl.f.tmp
        rc, out = s.dig_axfr(fl.f.addr, fl.f.port, EN, key=fl.key, kdig=True)
        path = os.path.join(tmp, 'axfr.kdig.txt')
        with open(path, 'w') as fh:
            fh.write(out)
        self.check(rc == 0 and 'failed' not in out.lower(), 'kdig -y AXFR: rc %d\n%s' % (rc, out))
        rrs = [l for l in out.splitlines() if l.strip() and not l.startswith(';')]
        tsig = [l for l in rrs if l.split()[3:4] == ['TSIG']]
        rrs = [l for l in rrs if l not in tsig]
        self.check(tsig and 'NOERROR' in tsig[-1], 'kdig: the AXFR is not TSIG-signed:\n%s' % out)
        self.check(rrs and rrs[0].split()[3] == 'SOA' and rrs[-1].split()[3] == 'SOA'
                   and rrs[0].split() == rrs[-1].split(),
                   'kdig AXFR: the same SOA is not first and last:\n%s' % out)
        zone = os.path.join(tmp, 'axfr.zone')
        with open(zone, 'w') as fh:
            fh.write('\n'.join(rrs) + '\n')
        cp = subprocess.run(['ldns-read-zone', zone], capture_output=True, text=True, timeout=30)
        self.check(cp.returncode == 0, 'ldns-read-zone: %s%s' % (cp.stdout, cp.stderr))
        # ldns-verify-zone checks DNSSEC only: sign with a throwaway key, then verify.
        cp = subprocess.run(['ldns-keygen', '-a', 'ED25519', EN], capture_output=True, text=True,
                            timeout=30, cwd=tmp)
        self.check(cp.returncode == 0, 'ldns-keygen: %s' % cp.stderr)
        base = os.path.join(tmp, cp.stdout.strip())
        cp = subprocess.run(['ldns-signzone', '-o', EN, zone, base], capture_output=True,
                            text=True, timeout=60, cwd=tmp)
        self.check(cp.returncode == 0, 'ldns-signzone: %s%s' % (cp.stdout, cp.stderr))
        cp = subprocess.run(['ldns-verify-zone', '-k', base + '.key', zone + '.signed'],
                            capture_output=True, text=True, timeout=60)
        self.check(cp.returncode == 0 and 'verified' in cp.stdout + cp.stderr,
                   'ldns-verify-zone: rc %d %s%s' % (cp.returncode, cp.stdout, cp.stderr))
        checker = shutil.which('named-checkzone')
        if checker:
            cp = subprocess.run([checker, EN, zone], capture_output=True, text=True, timeout=30)
            self.check(cp.returncode == 0, 'named-checkzone: %s%s' % (cp.stdout, cp.stderr))

    # --- 5 ------------------------------------------------------------------
    def test_5_journal_fallback_and_convergence(self):
        fl = self.fleet(journal_max=3, http=True)
        f, key = fl.f, fl.key
        old = f.soa_serial(EN)
        self.assertEqual(fl.nsd.control('write', EN.rstrip('.')).returncode, 0)
        for d in fl.secondaries:
            d.stop()
        serials = [old]
        for i in range(5):
            f.cli('backend', 'drain' if i % 2 == 0 else 'resume', 'sip1')
            ok, _ = s.poll(lambda: (f.soa_serial(EN) or 0) > serials[-1], FLIP_S)
            self.check(ok, 'change %d: the serial stayed %d' % (i, serials[-1]))
            serials.append(f.soa_serial(EN))
        axfr = self.signed_axfr()
        before = f.xfr_counts()
        full = s.transfer(f.addr, f.port, EN, 'IXFR', serial=old, key=key)
        self.check(full.complete and not full.tsig_problems and full.kind() == 'AXFR' and
                   full.records[0].text == full.records[-1].text and
                   full.soa_serials[0] == serials[-1] and full.rrset() == axfr.rrset(),
                   'IXFR from %d (beyond journal-max 3; serials %s) must be the whole zone '
                   '(RFC 1995 §4), got %r:\n%s' % (old, serials, full,
                                                  '\n'.join(map(repr, full.records))))
        inc = s.transfer(f.addr, f.port, EN, 'IXFR', serial=serials[-2], key=key)
        self.check(inc.complete and not inc.tsig_problems and inc.kind() == 'IXFR' and
                   inc.soa_serials[:2] == [serials[-1], serials[-2]],
                   'IXFR from %d (in the journal) must be incremental, got %r:\n%s'
                   % (serials[-2], inc, '\n'.join(map(repr, inc.records))))
        cur = s.transfer(f.addr, f.port, EN, 'IXFR', serial=serials[-1], key=key)
        self.check(cur.kind() == 'SOA' and cur.soa_serials == [serials[-1]],
                   'IXFR from the current serial must be one SOA, got %r' % cur)
        _, out = s.dig_axfr(f.addr, f.port, EN, key=key, qtype='IXFR=%d' % old)
        rrs = [l.split() for l in out.splitlines() if l.strip() and not l.startswith(';')]
        self.check(len(rrs) > 3 and rrs[0][3] == 'SOA' and rrs[1][3] != 'SOA',
                   'dig IXFR=%d: want the full zone (2nd RR not a SOA):\n%s' % (old, out))
        after = f.xfr_counts()
        deltas = {k: after.get(k, 0) - before.get(k, 0) for k in ('ixfr_full', 'ixfr', 'up_to_date')}
        self.check(deltas == {'ixfr_full': 2, 'ixfr': 1, 'up_to_date': 1},
                   '/metrics fodns_xfr_requests_total deltas %r, want ixfr_full 2 (ours and '
                   'dig\'s), ixfr 1, up_to_date 1' % deltas)
        # The secondaries come back with the old serial and converge.
        since = time.monotonic()
        knot_before = len(fl.knot.transfers(EN))
        for d in fl.secondaries:
            d.start()
        fl.knot.knotc('zone-refresh', EN)
        fl.nsd.control('transfer', EN.rstrip('.'))
        fl.wait_converged(10)
        self.assert_same_zone(fl.secondaries)
        self.check(fl.tap.transfers(since)[:1] == [('IXFR', 'AXFR')],
                   'NSD should have asked IXFR from %d and got the full zone: %r'
                   % (old, fl.tap.transfers(since)))
        knot_x = fl.knot.transfers(EN)[knot_before:]
        self.check(knot_x[:1] and knot_x[0][0] == 'AXFR-style IXFR',
                   'Knot should have asked IXFR from %d and got the full zone '
                   '("receiving AXFR-style IXFR"): %s' % (old, [l for _, l in knot_x]))

    # --- 6 ------------------------------------------------------------------
    def test_6_notify_coalescing(self):
        fl = self.fleet()
        f = fl.f
        time.sleep(1.5)  # out of the window of the initial changes
        t0 = time.monotonic()
        knot0, nsd0 = len(fl.knot.notifies(EN)), len(fl.nsd.notifies(EN))
        serial0 = f.soa_serial(EN)
        for i in range(50):
            due = t0 + i * 0.1
            time.sleep(max(0.0, due - time.monotonic()))
            f.cli('backend', 'drain', 'sip1')
            time.sleep(max(0.0, due + 0.05 - time.monotonic()))
            f.cli('backend', 'resume', 'sip1')
        f.cli('backend', 'drain', 'sip1', '--reason', 'final state')
        flaps_s = time.monotonic() - t0
        got = self.wait_all(self.answer_preds({BACKUP_SIP}), 3.0 + 1.0)
        t_end = time.monotonic()
        time.sleep(2.5)  # late NOTIFYs and retries would show up here
        notes = fl.listener.received(t0)
        knot_n = len(fl.knot.notifies(EN)) - knot0
        nsd_n = len(fl.nsd.notifies(EN)) - nsd0
        final = f.soa_serial(EN)
        s.figure('50 flaps in %.1f s (+1 final drain): NOTIFYs: counter %d (%d distinct IDs, '
                 'serials %s), Knot %d, NSD %d; serial %d -> %d'
                 % (flaps_s, len(notes), len({n['id'] for n in notes}),
                    [n['serial'] for n in notes], knot_n, nsd_n, serial0, final))
        self.check(len(notes) >= 1 and knot_n >= 1 and nsd_n >= 1,
                   'NOTIFYs seen: counter %d, Knot %d, NSD %d (want at least one each)' % (len(notes), knot_n, nsd_n))
        limit = 7
        for who, n in (('counter', len(notes)), ('knot', knot_n), ('nsd', nsd_n)):
            self.check(n <= limit, '%s got %d NOTIFYs for 101 changes in %.1f s (want <= %d: '
                       'one per 1 s window)' % (who, n, flaps_s, limit))
        unsigned = [n for n in notes if not n['signed'] or not n['tsig_ok']]
        self.check(not unsigned, 'NOTIFYs not signed with %s or not verifying: %r'
                   % (fl.key.name, unsigned))
        self.check(None not in got.values() and max(got.values()) <= 3.0,
                   'after the flaps %s A is not the backup everywhere: %r' % (SIP, got))
        self.check(fl.converged(), 'secondaries not on the final serial %d: knot %r nsd %r'
                   % (final, fl.knot.serial(EN), fl.nsd.serial(EN)))
        self.assert_same_zone(fl.secondaries)
        del t_end

    # --- 7 ------------------------------------------------------------------
    def test_7_large_zone_figures(self):
        """100,000 records: signed AXFR (every TSIG of the stream verified, here
        and by kdig and Knot), then one change by IXFR; prints the figures."""
        n = int(os.environ.get('FODNS_E2E_BIG', '100000'))
        zone = 'big.test.'
        key = s.Key('xfr-key.')
        tmp = self.make_tmp()
        path = os.path.join(tmp, 'big.zone')
        with open(path, 'w') as fh:
            fh.write('$ORIGIN big.test.\n$TTL 300\n'
                     '@ IN SOA ns1.big.test. hostmaster.big.test. 1 3600 600 1209600 30\n'
                     '@ IN NS ns1.big.test.\nns1 IN A 127.0.0.1\n')
            for i in range(n):
                fh.write('h%d IN A 10.%d.%d.%d\n' % (i, i >> 16, (i >> 8) & 255, i & 255))
        f = s.FodnsPrimary(zones=[(zone, path)], http=False)
        self.addCleanup(lambda: f.cleanup(failed=self._failed()))
        knot = s.KnotSecondary([zone], key, f.addr, f.port)
        knot.port = s.free_loopback_port()
        self.addCleanup(lambda: knot.cleanup(self._failed()))
        t0 = time.monotonic()
        f.import_zones()
        import_s = time.monotonic() - t0
        f.cli('tsig', 'add', key.name, '--secret', key.secret)
        f.cli('zone', 'set', zone, '--allow-transfer', '127.0.0.1/32+key:' + key.name,
              '--notify', '127.0.0.1:%d' % knot.port)
        f.serve()
        ax = s.transfer(f.addr, f.port, zone, key=key, timeout=60)
        self.assertTrue(ax.complete and ax.rcode == h.NOERROR, repr(ax))
        self.assertEqual(ax.tsig_problems, [], 'TSIG of the AXFR stream (%d messages)'
                         % len(ax.messages))
        self.assertEqual(len(ax.records), n + 3 + 1, 'records in the AXFR (SOA twice)')
        self.assertEqual(len(ax.rrset()), n + 3, 'distinct records in the AXFR')
        s.figure('AXFR of a %d-record zone (import %.1f s): %.2f s, %d bytes, %d messages '
                 '(python client on loopback, TSIG verified)'
                 % (n + 3, import_s, ax.seconds, ax.bytes, len(ax.messages)))
        t0 = time.monotonic()
        rc, out = s.dig_axfr(f.addr, f.port, zone, key=key, kdig=True, tail=['+noall', '+stats'])
        self.assertEqual(rc, 0, 'kdig -y AXFR of the big zone:\n%s' % out[-2000:])
        self.assertNotIn('failed', out.lower(), out[-2000:])
        s.figure('kdig AXFR of the big zone: %.2f s wall; %s' % (
            time.monotonic() - t0, ' '.join(l for l in out.splitlines() if 'Received' in l)))
        knot.start()
        ok, _ = s.poll(lambda: knot.serial(zone) == f.soa_serial(zone), 60, 0.2)
        self.assertTrue(ok, 'Knot did not load the big zone\n' + knot.log_tail())
        first = knot.transfers(zone)
        self.assertTrue(first and first[0][0] == 'AXFR', first)
        s.figure('Knot secondary, AXFR of the big zone: %s' % first[0][1].split('] ', 1)[-1])
        old = f.soa_serial(zone)
        f.cli('record', 'rm', 'h0.big.test.', 'A')
        f.cli('record', 'add', 'h0.big.test.', '300', 'A', '10.255.255.254')
        ok, _ = s.poll(lambda: f.addrs('h0.big.test.') == {'10.255.255.254'}, 10)
        self.assertTrue(ok, 'fodns did not serve the change')
        ix = s.transfer(f.addr, f.port, zone, 'IXFR', serial=old, key=key)
        self.assertTrue(ix.complete and ix.kind() == 'IXFR' and not ix.tsig_problems, repr(ix))
        s.figure('IXFR of one change of the big zone: %.3f s, %d bytes, %d records'
                 % (ix.seconds, ix.bytes, len(ix.records)))
        ok, _ = s.poll(lambda: knot.addrs('h0.big.test.') == {'10.255.255.254'}, 5)
        self.assertTrue(ok, 'Knot did not follow the change of the big zone\n' + knot.log_tail())
        kinds = [k for k, _ in knot.transfers(zone)]
        self.assertGreaterEqual(len(kinds), 2, 'Knot logged %s: the first transfer and the change' % kinds)
        self.assertEqual(kinds[1:], ['IXFR'] * (len(kinds) - 1),
                         'Knot: the change came by IXFR: %s' % knot.transfers(zone))
        # A change made behind the CLI's back (SQL, no serial bump) to a zone
        # without governed records: the reload gives it a new serial, so that
        # transfers carry it and the secondary follows.
        before = f.soa_serial(zone)
        con = sqlite3.connect(f.db)
        with con:
            n_rows = con.execute("UPDATE records SET rdata = ? WHERE owner = 'h1.big.test.' AND type = 1",
                                 (bytes([10, 255, 255, 253]),)).rowcount
        con.close()
        self.assertEqual(n_rows, 1)
        ok, _ = s.poll(lambda: f.addrs('h1.big.test.') == {'10.255.255.253'}, 10)
        self.assertTrue(ok, 'fodns did not serve the SQL change')
        self.assertGreater(f.soa_serial(zone), before, 'new records under the old serial')
        ok, _ = s.poll(lambda: knot.addrs('h1.big.test.') == {'10.255.255.253'}, 10)
        self.assertTrue(ok, 'Knot did not follow the SQL change\n' + knot.log_tail())

    def make_tmp(self):
        import tempfile
        tmp = tempfile.mkdtemp(prefix='fodns-e2e-big-')
        self.addCleanup(lambda: shutil.rmtree(tmp, ignore_errors=True))
        return tmp


if __name__ == '__main__':
    unittest.main(verbosity=2)
