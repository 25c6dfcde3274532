// The answer rules of issue 2, one test case each, through parser + snapshot + responder.
#include <doctest/doctest.h>

#include <algorithm>

#include "answer_fixture.h"

using namespace fodns;
using test::ask;

namespace {

const char* kZone = R"(
example.net. 3600 IN SOA ns1.example.net. hostmaster.example.net. 7 3600 600 86400 60
example.net. 300 IN NS ns1.example.net.
example.net. 300 IN NS ns2.other.org.
example.net. 300 IN MX 10 mail.example.net.
example.net. 300 IN NAPTR 10 50 "s" "SIP+D2U" "" _sip._udp.example.net.
ns1.example.net. 300 IN A 192.0.2.1
mail.example.net. 300 IN A 192.0.2.25
mail.example.net. 300 IN AAAA 2001:db8::25
_sip._udp.example.net. 30 IN SRV 10 50 5060 sip1.example.net.
_sip._udp.example.net. 30 IN SRV 20 50 5060 sip2.example.net.
sip1.example.net. 30 IN A 192.0.2.11
sip2.example.net. 30 IN A 192.0.2.12
www.example.net. 300 IN CNAME web.example.net.
web.example.net. 300 IN A 192.0.2.80
dangling.example.net. 300 IN CNAME nothere.example.net.
away.example.net. 300 IN CNAME www.other.org.
a.b.c.example.net. 300 IN A 192.0.2.3
*.wild.example.net. 300 IN A 192.0.2.99
*.wild.example.net. 300 IN MX 10 mail.example.net.
host.wild.example.net. 300 IN TXT "exists"
sub.example.net. 300 IN NS ns.sub.example.net.
ns.sub.example.net. 300 IN A 192.0.2.53
ttl.example.net. 100 IN A 192.0.2.7
ttl.example.net. 50 IN A 192.0.2.8
)";

zone::SnapshotPtr snapshot() {
  static zone::SnapshotPtr s = test::build({test::zone_from_text("example.net.", kZone)});
  return s;
}

bool contains(const std::vector<std::string>& v, const std::string& needle) {
  return std::any_of(v.begin(), v.end(), [&](const std::string& s) { return s.find(needle) != std::string::npos; });
}

}  // namespace

TEST_CASE("positive answer: AA, RD copied, question echoed with the client's case") {
  auto r = ask(*snapshot(), "SiP1.ExAmPlE.nEt.", "A");
  CHECK(r.rcode() == 0);
  CHECK(ldns_pkt_aa(r.pkt.get()));
  CHECK(ldns_pkt_rd(r.pkt.get()));
  CHECK(ldns_pkt_id(r.pkt.get()) == 4242);
  char* q = ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_question(r.pkt.get()), 0)));
  CHECK(std::string(q) == "SiP1.ExAmPlE.nEt.");
  free(q);
  REQUIRE(r.answer().size() == 1);
  CHECK(contains(r.answer(), "192.0.2.11"));
}

TEST_CASE("class other than IN is REFUSED; out-of-zone names are REFUSED") {
  CHECK(ask(*snapshot(), "sip1.example.net.", "A", {.qclass = 3}).rcode() == 5);
  auto r = ask(*snapshot(), "www.example.org.", "A");
  CHECK(r.rcode() == 5);
  CHECK(!ldns_pkt_aa(r.pkt.get()));
}

TEST_CASE("NXDOMAIN and NODATA carry the SOA with TTL min(SOA TTL, MINIMUM)") {
  auto nx = ask(*snapshot(), "nope.example.net.", "A");
  CHECK(nx.rcode() == 3);
  REQUIRE(nx.authority().size() == 1);
  CHECK(contains(nx.authority(), "example.net.\t60\tIN\tSOA"));
  auto nodata = ask(*snapshot(), "sip1.example.net.", "AAAA");
  CHECK(nodata.rcode() == 0);
  CHECK(nodata.answer().empty());
  CHECK(contains(nodata.authority(), "\t60\tIN\tSOA"));
}

TEST_CASE("empty non-terminals are NODATA, never NXDOMAIN") {
  auto r = ask(*snapshot(), "b.c.example.net.", "A");
  CHECK(r.rcode() == 0);
  CHECK(r.answer().empty());
  CHECK(r.authority().size() == 1);
  CHECK(ask(*snapshot(), "c.example.net.", "A").rcode() == 0);
}

TEST_CASE("unknown types are NODATA") {
  auto r = ask(*snapshot(), "web.example.net.", "TYPE65280");
  CHECK(r.rcode() == 0);
  CHECK(r.answer().empty());
  CHECK(r.authority().size() == 1);
}

TEST_CASE("CNAME is followed inside the zone; RFC 6604 RCODE for a dangling chain") {
  auto r = ask(*snapshot(), "www.example.net.", "A");
  CHECK(r.answer().size() == 2);
  CHECK(contains(r.answer(), "CNAME\tweb.example.net."));
  CHECK(contains(r.answer(), "192.0.2.80"));
  auto c = ask(*snapshot(), "www.example.net.", "CNAME");
  CHECK(c.answer().size() == 1);
  auto d = ask(*snapshot(), "dangling.example.net.", "A");
  CHECK(d.rcode() == 3);
  CHECK(d.answer().size() == 1);
  CHECK(d.authority().size() == 1);
  auto o = ask(*snapshot(), "away.example.net.", "A");
  CHECK(o.rcode() == 0);
  CHECK(o.answer().size() == 1);
  CHECK(o.authority().empty());
}

TEST_CASE("wildcards synthesize the qname (RFC 4592), not for existing names") {
  auto r = ask(*snapshot(), "Phone7.wild.example.net.", "A");
  CHECK(r.rcode() == 0);
  REQUIRE(r.answer().size() == 1);
  CHECK(r.answer()[0].rfind("Phone7.wild.example.net.\t300\tIN\tA\t192.0.2.99", 0) == 0);
  auto deep = ask(*snapshot(), "x.y.wild.example.net.", "MX");
  REQUIRE(deep.answer().size() == 1);
  CHECK(deep.answer()[0].rfind("x.y.wild.example.net.", 0) == 0);
  CHECK(contains(deep.additional(), "mail.example.net."));
  auto nodata = ask(*snapshot(), "phone7.wild.example.net.", "AAAA");
  CHECK(nodata.rcode() == 0);
  CHECK(nodata.answer().empty());
  CHECK(contains(nodata.authority(), "SOA"));
  auto exists = ask(*snapshot(), "host.wild.example.net.", "A");
  CHECK(exists.rcode() == 0);
  CHECK(exists.answer().empty());  // the name exists: no synthesis
  CHECK(ask(*snapshot(), "x.host.wild.example.net.", "A").rcode() == 3);
}

TEST_CASE("delegations are referrals: NS in authority, glue in additional, no AA") {
  for (const char* name : {"sub.example.net.", "deep.er.sub.example.net.", "ns.sub.example.net."}) {
    auto r = ask(*snapshot(), name, "A");
    CHECK(r.rcode() == 0);
    CHECK(!ldns_pkt_aa(r.pkt.get()));
    CHECK(r.answer().empty());
    CHECK(contains(r.authority(), "NS\tns.sub.example.net."));
    CHECK(contains(r.additional(), "192.0.2.53"));
  }
  auto ds = ask(*snapshot(), "sub.example.net.", "DS");
  CHECK(ldns_pkt_aa(ds.pkt.get()));
  CHECK(contains(ds.authority(), "SOA"));
}

TEST_CASE("additional section: addresses of SRV, MX and NS targets, NAPTR -> SRV -> A") {
  auto srv = ask(*snapshot(), "_sip._udp.example.net.", "SRV");
  CHECK(srv.answer().size() == 2);
  CHECK(contains(srv.additional(), "192.0.2.11"));
  CHECK(contains(srv.additional(), "192.0.2.12"));
  auto mx = ask(*snapshot(), "example.net.", "MX");
  CHECK(contains(mx.additional(), "192.0.2.25"));
  CHECK(contains(mx.additional(), "2001:db8::25"));
  auto ns = ask(*snapshot(), "example.net.", "NS");
  CHECK(ns.answer().size() == 2);
  CHECK(contains(ns.additional(), "192.0.2.1"));
  auto naptr = ask(*snapshot(), "example.net.", "NAPTR");
  CHECK(contains(naptr.additional(), "_sip._udp.example.net.\t30\tIN\tSRV"));
  CHECK(contains(naptr.additional(), "192.0.2.11"));
}

TEST_CASE("RRset TTLs that differ are served as the lowest (RFC 2181 §5.2)") {
  auto r = ask(*snapshot(), "ttl.example.net.", "A");
  REQUIRE(r.answer().size() == 2);
  CHECK(contains(r.answer(), "\t50\tIN\tA\t192.0.2.7"));
}

TEST_CASE("ANY gets one RRset (RFC 8482), never NOTIMP") {
  auto r = ask(*snapshot(), "mail.example.net.", "ANY");
  CHECK(r.rcode() == 0);
  CHECK(r.answer().size() == 1);
}

TEST_CASE("EDNS: OPT echoed with our payload; version 1 gets BADVERS") {
  auto r = ask(*snapshot(), "sip1.example.net.", "A", {.edns = true, .payload = 4096});
  CHECK(ldns_pkt_edns(r.pkt.get()));
  CHECK(ldns_pkt_edns_udp_size(r.pkt.get()) == 1232);
  ldns_rdf* n = ldns_dname_new_frm_str("sip1.example.net.");
  ldns_pkt* p = ldns_pkt_query_new(n, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, 0);
  ldns_pkt_set_edns_udp_size(p, 1232);
  ldns_pkt_set_edns_version(p, 1);
  ldns_pkt_set_edns_data(p, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_UNKNOWN, 0, ""));
  uint8_t* wire = nullptr;
  size_t len = 0;
  ldns_pkt2wire(&wire, p, &len);
  ldns_pkt_free(p);
  auto bad = test::ask_wire(*snapshot(), std::vector<uint8_t>(wire, wire + len), false);
  free(wire);
  CHECK(bad.info.rcode == 16);
  CHECK(ldns_pkt_edns_extended_rcode(bad.pkt.get()) == 1);
  CHECK(bad.answer().empty());
}

TEST_CASE("truncation: whole RRsets only; TC when the answer does not fit") {
  std::string big = "big.example.net. 3600 IN SOA ns1.big.example.net. h.big.example.net. 1 3600 600 86400 60\n"
                    "big.example.net. 300 IN NS ns1.big.example.net.\n"
                    "ns1.big.example.net. 300 IN A 192.0.2.1\n";
  for (int i = 0; i < 60; ++i)
    big += "txt.big.example.net. 300 IN TXT \"record " + std::to_string(i) + " padded to be long enough\"\n";
  auto snap = test::build({test::zone_from_text("big.example.net.", big)});
  auto udp = ask(*snap, "txt.big.example.net.", "TXT");
  CHECK(ldns_pkt_tc(udp.pkt.get()));
  CHECK(udp.answer().empty());
  CHECK(udp.size <= 512);
  auto edns = ask(*snap, "txt.big.example.net.", "TXT", {.edns = true, .payload = 4096});
  CHECK(ldns_pkt_tc(edns.pkt.get()));
  CHECK(edns.size <= 1232);
  auto tcp = ask(*snap, "txt.big.example.net.", "TXT", {.tcp = true});
  CHECK(!ldns_pkt_tc(tcp.pkt.get()));
  CHECK(tcp.answer().size() == 60);
}

TEST_CASE("additional RRsets are left out, without TC, when only they do not fit") {
  std::string z = "t.example. 3600 IN SOA ns.t.example. h.t.example. 1 3600 600 86400 60\n"
                  "t.example. 300 IN NS ns.t.example.\nns.t.example. 300 IN A 192.0.2.1\n";
  for (int i = 0; i < 6; ++i) {
    std::string host = "host-with-a-long-name-number-" + std::to_string(i) + ".t.example.";
    z += "_sip._udp.t.example. 30 IN SRV 10 50 5060 " + host + "\n";
    z += host + " 30 IN AAAA 2001:db8::" + std::to_string(i + 1) + "\n";
    z += host + " 30 IN A 192.0.2." + std::to_string(i + 10) + "\n";
  }
  auto snap = test::build({test::zone_from_text("t.example.", z)});
  auto r = ask(*snap, "_sip._udp.t.example.", "SRV");
  CHECK(!ldns_pkt_tc(r.pkt.get()));
  CHECK(r.answer().size() == 6);
  CHECK(r.additional().size() < 12);
  CHECK(r.size <= 512);
  auto full = ask(*snap, "_sip._udp.t.example.", "SRV", {.tcp = true});
  CHECK(full.additional().size() == 12);
}

TEST_CASE("the longest matching zone answers (parent and child zone both served)") {
  auto parent = test::zone_from_text("example.net.", kZone);
  auto child = test::zone_from_text("sub.example.net.",
                                    "sub.example.net. 300 IN SOA ns.sub.example.net. h.sub.example.net. 3 3600 600 86400 60\n"
                                    "sub.example.net. 300 IN NS ns.sub.example.net.\n"
                                    "ns.sub.example.net. 300 IN A 192.0.2.53\n"
                                    "x.sub.example.net. 300 IN A 192.0.2.200\n");
  auto snap = test::build({parent, child});
  auto r = ask(*snap, "x.sub.example.net.", "A");
  CHECK(ldns_pkt_aa(r.pkt.get()));
  CHECK(contains(r.answer(), "192.0.2.200"));
  CHECK(contains(ask(*snap, "web.example.net.", "A").answer(), "192.0.2.80"));
}
