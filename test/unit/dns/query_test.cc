#include "dns/query.h"

#include <doctest/doctest.h>

#include <vector>

using fodns::dns::Malformed;
using fodns::dns::parse_query;
using fodns::dns::ParseResult;
using fodns::dns::Query;

namespace {
// sip.EXAMPLE.net A IN, id 0x1234, RD
std::vector<uint8_t> basic_query() {
  return {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 3, 's', 'i', 'p', 7, 'E', 'X', 'A',
          'M',  'P',  'L',  'E',  3, 'n', 'e', 't', 0, 0, 1, 0, 1};
}
void add_opt(std::vector<uint8_t>& m, uint16_t payload, uint8_t version, bool do_bit,
             std::vector<uint8_t> rdata = {}) {
  m[11] += 1;
  std::vector<uint8_t> opt = {0, 0, 41, static_cast<uint8_t>(payload >> 8), static_cast<uint8_t>(payload),
                              0, version, static_cast<uint8_t>(do_bit ? 0x80 : 0), 0,
                              static_cast<uint8_t>(rdata.size() >> 8), static_cast<uint8_t>(rdata.size())};
  m.insert(m.end(), opt.begin(), opt.end());
  m.insert(m.end(), rdata.begin(), rdata.end());
}
}  // namespace

TEST_CASE("a plain query parses, the qname is lowercased with label offsets") {
  auto m = basic_query();
  Query q;
  REQUIRE(parse_query(m.data(), m.size(), q) == ParseResult::Ok);
  CHECK(q.id == 0x1234);
  CHECK(q.qtype == 1);
  CHECK(q.qclass == 1);
  CHECK(q.qname_len == 17);
  CHECK(q.label_count == 3);
  CHECK(q.label_off[1] == 4);
  CHECK(q.qname_lower[5] == 'e');
  CHECK(!q.has_edns);
}

TEST_CASE("EDNS: payload, version and DO are read; options are skipped") {
  auto m = basic_query();
  add_opt(m, 4096, 0, true, {0xfd, 0xe9, 0x00, 0x02, 0xab, 0xcd});  // unknown (local use; 10 is COOKIE)
  Query q;
  REQUIRE(parse_query(m.data(), m.size(), q) == ParseResult::Ok);
  CHECK(q.has_edns);
  CHECK(q.edns_payload == 4096);
  CHECK(q.edns_do);
  CHECK(q.edns_version == 0);
}

TEST_CASE("malformed queries: FORMERR when the header is readable, drop otherwise") {
  Query q;
  SUBCASE("short header is dropped") {
    auto m = basic_query();
    CHECK(parse_query(m.data(), 11, q) == ParseResult::Drop);
    CHECK(q.why == Malformed::ShortHeader);
  }
  SUBCASE("a response (QR set) is dropped") {
    auto m = basic_query();
    m[2] |= 0x80;
    CHECK(parse_query(m.data(), m.size(), q) == ParseResult::Drop);
  }
  SUBCASE("QDCOUNT 0 and 2") {
    auto m = basic_query();
    m[5] = 0;
    CHECK(parse_query(m.data(), m.size(), q) == ParseResult::FormErr);
    m[5] = 2;
    CHECK(parse_query(m.data(), m.size(), q) == ParseResult::FormErr);
  }
  SUBCASE("truncated question") {
    auto m = basic_query();
    CHECK(parse_query(m.data(), m.size() - 1, q) == ParseResult::FormErr);
    CHECK(parse_query(m.data(), 20, q) == ParseResult::FormErr);
  }
  SUBCASE("label type 0x40 / compression pointer in the qname") {
    auto m = basic_query();
    m[12] = 0x43;
    CHECK(parse_query(m.data(), m.size(), q) == ParseResult::FormErr);
    m = basic_query();
    m[16] = 0xC0;
    m[17] = 12;
    CHECK(parse_query(m.data(), m.size(), q) == ParseResult::FormErr);
  }
  SUBCASE("name longer than 255 octets") {
    std::vector<uint8_t> m = {0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0};
    for (int i = 0; i < 5; ++i) {
      m.push_back(63);
      m.insert(m.end(), 63, 'a');
    }
    m.insert(m.end(), {0, 0, 1, 0, 1});
    CHECK(parse_query(m.data(), m.size(), q) == ParseResult::FormErr);
  }
  SUBCASE("two OPT records") {
    auto m = basic_query();
    add_opt(m, 1232, 0, false);
    add_opt(m, 1232, 0, false);
    CHECK(parse_query(m.data(), m.size(), q) == ParseResult::FormErr);
    CHECK(q.why == Malformed::MultipleOpt);
  }
  SUBCASE("OPT with a bad option length") {
    auto m = basic_query();
    add_opt(m, 1232, 0, false, {0x00, 0x0a, 0x00, 0x09, 0xab});
    CHECK(parse_query(m.data(), m.size(), q) == ParseResult::FormErr);
  }
  SUBCASE("OPT in the answer section") {
    auto m = basic_query();
    add_opt(m, 1232, 0, false);
    m[11] = 0;
    m[7] = 1;
    CHECK(parse_query(m.data(), m.size(), q) == ParseResult::FormErr);
  }
  SUBCASE("a compression loop in the additional section") {
    auto m = basic_query();
    m[11] = 1;
    size_t at = m.size();
    m.insert(m.end(), {0xC0, static_cast<uint8_t>(at), 0, 1, 0, 1, 0, 0, 0, 0, 0, 0});
    CHECK(parse_query(m.data(), m.size(), q) == ParseResult::FormErr);
  }
  SUBCASE("trailing garbage") {
    auto m = basic_query();
    m.push_back(0xff);
    CHECK(parse_query(m.data(), m.size(), q) == ParseResult::FormErr);
  }
  SUBCASE("unknown opcode") {
    auto m = basic_query();
    m[2] = 2 << 3;
    add_opt(m, 1232, 0, false);
    CHECK(parse_query(m.data(), m.size(), q) == ParseResult::NotImp);
    CHECK(q.id == 0x1234);
    CHECK(q.question_ok);
    CHECK(q.has_edns);  // the NOTIMP reply carries the OPT
    m[5] = 0;           // an unparseable body still gets NOTIMP, header only
    CHECK(parse_query(m.data(), m.size(), q) == ParseResult::NotImp);
    CHECK(!q.question_ok);
  }
}
