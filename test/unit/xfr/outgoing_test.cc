// AXFR/IXFR answers from a TransferTable: ACLs, TSIG, journal chains, fallbacks.
#include "xfr/outgoing.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <ldns/ldns.h>
#include <netinet/in.h>

#include <string>
#include <vector>

#include "dns/wire.h"

using namespace fodns;

namespace {

dns::Rr rr(const char* text) {
  auto r = dns::rr_from_text(text, "example.net.");
  REQUIRE(r);
  return *r;
}

std::string soa_text(uint32_t serial) {
  return "example.net. 3600 IN SOA ns1.example.net. hostmaster.example.net. " + std::to_string(serial) +
         " 3600 600 86400 60";
}

std::shared_ptr<xfr::TransferTable> table(uint32_t serial, const char* prefix = "127.0.0.0/8") {
  auto z = std::make_shared<xfr::ZoneTransfer>();
  auto soa = rr(soa_text(serial).c_str());
  z->apex = soa.owner;
  z->serial = serial;
  z->soa.add(soa);
  z->rrs.add(rr("example.net. 3600 IN NS ns1.example.net."));
  z->rrs.add(rr("sip.example.net. 20 IN A 192.0.2.11"));
  auto rule = xfr::parse_prefix(prefix);
  REQUIRE(rule);
  z->acl.push_back(*rule);
  auto t = std::make_shared<xfr::TransferTable>();
  t->zones.push_back(z);
  return t;
}

sockaddr_in peer(const char* a) {
  sockaddr_in s{};
  s.sin_family = AF_INET;
  inet_pton(AF_INET, a, &s.sin_addr);
  return s;
}

std::vector<uint8_t> query(uint16_t qtype, uint32_t ixfr_serial = 0) {
  std::vector<uint8_t> m = {0x12, 0x34, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0,
                            7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'n', 'e', 't', 0,
                            static_cast<uint8_t>(qtype >> 8), static_cast<uint8_t>(qtype), 0, 1};
  if (qtype == dns::type::kIxfr) {
    m[9] = 1;  // NSCOUNT
    auto soa = rr(soa_text(ixfr_serial).c_str());
    std::string k = xfr::rr_key(soa);
    m.insert(m.end(), k.begin(), k.end());
  }
  return m;
}

// All RRs of a reply, in presentation form, one list across its messages.
std::vector<std::string> records(xfr::TransferReply& r) {
  std::vector<std::string> out;
  std::vector<uint8_t> msg;
  auto add = [&](const std::vector<uint8_t>& m) {
    ldns_pkt* p = nullptr;
    REQUIRE(ldns_wire2pkt(&p, m.data(), m.size()) == LDNS_STATUS_OK);
    for (size_t i = 0; i < ldns_pkt_ancount(p); ++i) {
      char* s = ldns_rr2str(ldns_rr_list_rr(ldns_pkt_answer(p), i));
      std::string line(s);
      free(s);
      while (!line.empty() && line.back() == '\n') line.pop_back();
      out.push_back(line);
    }
    ldns_pkt_free(p);
  };
  if (r.stream) {
    while (r.stream->next(msg)) add(msg);
  } else {
    add(r.message);
  }
  return out;
}

xfr::TransferReply ask(const xfr::TransferTablePtr& t, std::vector<uint8_t>& m, const char* from, bool tcp = true) {
  dns::Query q;
  REQUIRE(dns::parse_query(m.data(), m.size(), q) == dns::ParseResult::Ok);
  auto p = peer(from);
  return xfr::answer_transfer(q, reinterpret_cast<const sockaddr*>(&p), tcp, t, 1'800'000'000);
}

}  // namespace

TEST_CASE("AXFR: SOA first and last, every RR between, to an allowed address only") {
  auto t = table(7);
  auto m = query(dns::type::kAxfr);
  auto r = ask(t, m, "127.0.0.1");
  REQUIRE(r.stream);
  CHECK(r.outcome == xfr::TransferOutcome::Axfr);
  auto recs = records(r);
  REQUIRE(recs.size() == 4);
  CHECK(recs.front().find("SOA") != std::string::npos);
  CHECK(recs.back() == recs.front());
  CHECK(recs[2].find("192.0.2.11") != std::string::npos);

  auto refused = ask(t, m, "10.1.2.3");
  CHECK_FALSE(refused.stream);
  CHECK(refused.outcome == xfr::TransferOutcome::Refused);
  CHECK((refused.message[3] & 0x0F) == dns::rcode::kRefused);

  auto udp = ask(t, m, "127.0.0.1", false);
  CHECK_FALSE(udp.stream);
  CHECK((udp.message[3] & 0x0F) == dns::rcode::kRefused);

  auto none = xfr::TransferTablePtr{};
  auto r2 = ask(none, m, "127.0.0.1");
  CHECK((r2.message[3] & 0x0F) == dns::rcode::kRefused);
}

TEST_CASE("a zone too big for one message is sent in several, each a whole set of RRs") {
  auto t = table(7);
  auto& z = const_cast<xfr::ZoneTransfer&>(*t->zones[0]);
  for (int i = 0; i < 2000; ++i)
    z.rrs.add(rr(("h" + std::to_string(i) + ".example.net. 20 IN A 192.0.2.1").c_str()));
  auto m = query(dns::type::kAxfr);
  auto r = ask(t, m, "127.0.0.1");
  REQUIRE(r.stream);
  std::vector<uint8_t> msg;
  int messages = 0;
  size_t total = 0;
  while (r.stream->next(msg)) {
    ++messages;
    CHECK(msg.size() <= 16384);
    total += dns::get16(msg.data() + 6);
  }
  CHECK(messages > 1);
  CHECK(total == 2000 + 4);
}

TEST_CASE("IXFR: a journal chain, the SOA alone when current, a full zone when the journal is short") {
  auto t = table(9);
  auto& z = const_cast<xfr::ZoneTransfer&>(*t->zones[0]);
  std::vector<std::string> s7 = {xfr::rr_key(rr("sip.example.net. 20 IN A 192.0.2.11"))};
  std::vector<std::string> s8 = {xfr::rr_key(rr("sip.example.net. 20 IN A 192.0.2.12"))};
  std::vector<std::string> s9 = s7;
  z.journal.push_back(xfr::make_diff(7, 8, rr(soa_text(7).c_str()), rr(soa_text(8).c_str()), s7, s8));
  z.journal.push_back(xfr::make_diff(8, 9, rr(soa_text(8).c_str()), rr(soa_text(9).c_str()), s8, s9));

  auto m = query(dns::type::kIxfr, 7);
  auto r = ask(t, m, "127.0.0.1");
  CHECK(r.outcome == xfr::TransferOutcome::Ixfr);
  auto recs = records(r);
  // SOA 9, (SOA 7, -.11, SOA 8, +.12), (SOA 8, -.12, SOA 9, +.11), SOA 9
  REQUIRE(recs.size() == 10);
  CHECK(recs[0].find(" 9 3600") != std::string::npos);
  CHECK(recs[1].find(" 7 3600") != std::string::npos);
  CHECK(recs[2].find("192.0.2.11") != std::string::npos);
  CHECK(recs[3].find(" 8 3600") != std::string::npos);
  CHECK(recs[4].find("192.0.2.12") != std::string::npos);
  CHECK(recs[9] == recs[0]);

  auto cur = query(dns::type::kIxfr, 9);
  auto rc = ask(t, cur, "127.0.0.1");
  CHECK(rc.outcome == xfr::TransferOutcome::UpToDate);
  CHECK(records(rc).size() == 1);

  auto old = query(dns::type::kIxfr, 5);
  auto ro = ask(t, old, "127.0.0.1");
  CHECK(ro.outcome == xfr::TransferOutcome::IxfrFallback);
  CHECK(records(ro).size() == 4);

  // Over UDP, IXFR gets our SOA: the client goes on over TCP (RFC 1995 §2).
  auto ru = ask(t, m, "127.0.0.1", false);
  CHECK(ru.outcome == xfr::TransferOutcome::UpToDate);
}

TEST_CASE("ACL entries with a key need a valid signature from that key") {
  auto t = table(7, "127.0.0.0/8");
  auto k = xfr::make_key("xfr-key.", "hmac-sha256", "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0IQ==");
  REQUIRE(k);
  t->keys.push_back(*k);
  auto& z = const_cast<xfr::ZoneTransfer&>(*t->zones[0]);
  z.acl[0].key_name = k->name;
  auto m = query(dns::type::kAxfr);
  CHECK(ask(t, m, "127.0.0.1").outcome == xfr::TransferOutcome::Refused);

  xfr::SignState st;
  st.request = true;
  xfr::sign(m, *k, st, 1'800'000'000);
  auto r = ask(t, m, "127.0.0.1");
  REQUIRE(r.stream);
  std::vector<uint8_t> msg;
  REQUIRE(r.stream->next(msg));
  // The reply is signed over the request's MAC: ldns verifies it as the answer to our request.
  std::vector<uint8_t> request_mac(2 + st.prior_mac.size());
  dns::put16(request_mac.data(), static_cast<uint16_t>(st.prior_mac.size()));
  std::copy(st.prior_mac.begin(), st.prior_mac.end(), request_mac.begin() + 2);
  ldns_rdf* mac = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_INT16_DATA, request_mac.size(), request_mac.data());
  ldns_pkt* pkt = nullptr;
  REQUIRE(ldns_wire2pkt(&pkt, msg.data(), msg.size()) == LDNS_STATUS_OK);
  CHECK(ldns_pkt_tsig_verify(pkt, msg.data(), msg.size(), "xfr-key.",
                             "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0IQ==", mac));
  ldns_pkt_free(pkt);
  ldns_rdf_free(mac);

  auto bad = m;
  bad[bad.size() - 10] ^= 1;  // inside the MAC
  auto rb = ask(t, bad, "127.0.0.1");
  CHECK(rb.outcome == xfr::TransferOutcome::NotAuth);
  CHECK((rb.message[3] & 0x0F) == xfr::kRcodeNotAuth);
}

TEST_CASE("prefixes: host bits, lengths, v4-mapped peers") {
  CHECK_FALSE(xfr::parse_prefix("192.0.2.1/24"));
  CHECK_FALSE(xfr::parse_prefix("192.0.2.0/33"));
  CHECK_FALSE(xfr::parse_prefix("nonsense"));
  auto r = xfr::parse_prefix("192.0.2.0/25");
  REQUIRE(r);
  auto in = peer("192.0.2.127"), out = peer("192.0.2.128");
  CHECK(xfr::prefix_matches(*r, reinterpret_cast<sockaddr*>(&in)));
  CHECK_FALSE(xfr::prefix_matches(*r, reinterpret_cast<sockaddr*>(&out)));
  sockaddr_in6 m6{};
  m6.sin6_family = AF_INET6;
  inet_pton(AF_INET6, "::ffff:192.0.2.5", &m6.sin6_addr);
  CHECK(xfr::prefix_matches(*r, reinterpret_cast<sockaddr*>(&m6)));
  auto v6 = xfr::parse_prefix("2001:db8::/32");
  REQUIRE(v6);
  CHECK_FALSE(xfr::prefix_matches(*v6, reinterpret_cast<sockaddr*>(&in)));
}
