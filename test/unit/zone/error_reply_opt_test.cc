// FORMERR and NOTIMP replies carry an OPT when the query's OPT parsed (RFC 6891 §7),
// and none when the OPT itself is what is broken (issue 14).
#include <doctest/doctest.h>

#include "answer_fixture.h"
#include "dns/wire.h"

using namespace fodns;

namespace {

// sip.example.net. A IN, id 0x4242, opcode `opcode`, one OPT (payload 1232, DO set).
std::vector<uint8_t> query_with_opt(uint8_t opcode) {
  std::vector<uint8_t> m = {0x42, 0x42, static_cast<uint8_t>(opcode << 3 | 0x01), 0, 0, 1, 0, 0, 0, 0, 0, 1,
                            3, 's', 'i', 'p', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'n', 'e', 't', 0,
                            0, 1, 0, 1};
  const uint8_t opt[] = {0, 0, 41, 0x04, 0xd0, 0, 0, 0x80, 0, 0, 0};
  m.insert(m.end(), opt, opt + sizeof opt);
  return m;
}

zone::SnapshotPtr snapshot() {
  static zone::SnapshotPtr s = test::build({test::zone_from_text(
      "example.net.",
      "example.net. 3600 IN SOA ns1.example.net. h.example.net. 1 3600 600 86400 60\n"
      "sip.example.net. 30 IN A 192.0.2.1\n")});
  return s;
}

}  // namespace

TEST_CASE("FORMERR to a query whose OPT parsed carries an OPT with the DO bit echoed") {
  auto m = query_with_opt(0);
  m.push_back(0xff);  // trailing garbage after a good OPT
  auto r = test::ask_wire(*snapshot(), m, false);
  REQUIRE(r.size > 0);
  CHECK(r.rcode() == dns::rcode::kFormErr);
  CHECK(ldns_pkt_id(r.pkt.get()) == 0x4242);
  CHECK(ldns_pkt_edns(r.pkt.get()));
  CHECK(ldns_pkt_edns_udp_size(r.pkt.get()) == zone::kUdpPayloadLimit);
  CHECK(ldns_pkt_edns_do(r.pkt.get()));
}

TEST_CASE("FORMERR for a broken or repeated OPT carries no OPT") {
  SUBCASE("two OPTs") {
    auto m = query_with_opt(0);
    const uint8_t opt[] = {0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0};
    m.insert(m.end(), opt, opt + sizeof opt);
    m[11] = 2;
    auto r = test::ask_wire(*snapshot(), m, false);
    REQUIRE(r.size == dns::kHeaderSize);
    CHECK(r.rcode() == dns::rcode::kFormErr);
  }
  SUBCASE("an option TLV that overruns the OPT") {
    auto m = query_with_opt(0);
    m.back() = 4;  // RDLENGTH 4
    const uint8_t tlv[] = {0, 10, 0, 9};
    m.insert(m.end(), tlv, tlv + sizeof tlv);
    auto r = test::ask_wire(*snapshot(), m, false);
    REQUIRE(r.size == dns::kHeaderSize);
    CHECK(r.rcode() == dns::rcode::kFormErr);
  }
}

TEST_CASE("NOTIMP carries the OPT, whether or not the rest of the query parsed") {
  SUBCASE("well-formed") {
    auto r = test::ask_wire(*snapshot(), query_with_opt(2), false);
    REQUIRE(r.size > 0);
    CHECK(r.rcode() == dns::rcode::kNotImp);
    CHECK(ldns_pkt_edns(r.pkt.get()));
  }
  SUBCASE("trailing bytes after the OPT") {
    auto m = query_with_opt(2);
    m.push_back(0);
    auto r = test::ask_wire(*snapshot(), m, false);
    REQUIRE(r.size > 0);
    CHECK(r.rcode() == dns::rcode::kNotImp);
    CHECK(ldns_pkt_edns(r.pkt.get()));
    CHECK(ldns_pkt_qdcount(r.pkt.get()) == 0);  // header only: the body did not parse
  }
}
