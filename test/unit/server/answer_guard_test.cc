// AnswerGuard through the real parser and responder: cookies added to answers,
// rate-limited floods slipped as TC=1 or BADCOOKIE, valid cookies never limited,
// old secrets accepted after a rotation, TCP never limited.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>
#include <vector>

// Before the fixture: ldns (in the fixture) may define `false`, which breaks <optional>.
#include "server/answer_guard.h"
#include "../zone/answer_fixture.h"
#include "dns/cookie.h"
#include "dns/wire.h"

using namespace fodns;

namespace {

const char* kZone = R"(
example.net. 3600 IN SOA ns1.example.net. h.example.net. 1 3600 600 86400 60
example.net. 300 IN NS ns1.example.net.
example.net. 300 IN NAPTR 10 50 "s" "SIP+D2U" "" _sip._udp.example.net.
example.net. 300 IN NAPTR 20 50 "s" "SIP+D2T" "" _sip._tcp.example.net.
ns1.example.net. 300 IN A 192.0.2.1
)";

// example.net NAPTR, with an OPT holding `cookie` (none if empty; no OPT if `edns` is false).
std::vector<uint8_t> query(const std::vector<uint8_t>& cookie, bool edns = true) {
  std::vector<uint8_t> w = {0xbe, 0xef, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, static_cast<uint8_t>(edns),
                            7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'n', 'e', 't', 0, 0, 35, 0, 1};
  if (!edns) return w;
  size_t olen = cookie.empty() ? 0 : 4 + cookie.size();
  std::vector<uint8_t> opt = {0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, static_cast<uint8_t>(olen)};
  w.insert(w.end(), opt.begin(), opt.end());
  if (!cookie.empty()) {
    std::vector<uint8_t> h = {0, 10, 0, static_cast<uint8_t>(cookie.size())};
    w.insert(w.end(), h.begin(), h.end());
    w.insert(w.end(), cookie.begin(), cookie.end());
  }
  return w;
}

const std::vector<uint8_t> kClient = {1, 2, 3, 4, 5, 6, 7, 8};

struct Bench {
  zone::SnapshotPtr snap = test::build({test::zone_from_text("example.net.", kZone)});
  server::WorkerCounters counters;
  server::AnswerGuard guard;
  sockaddr_in peer{};
  std::vector<uint8_t> out = std::vector<uint8_t>(65535);
  dns::CookieSecrets secrets;

  explicit Bench(uint32_t rate = 5, uint32_t slip = 2) : guard(config(rate, slip), counters) {
    peer.sin_family = AF_INET;
    inet_pton(AF_INET, "203.0.113.9", &peer.sin_addr);
    for (int i = 0; i < 16; ++i) secrets.current[i] = static_cast<uint8_t>(0xA0 + i);
    guard.set_secrets(secrets);
  }
  static server::RrlConfig config(uint32_t rate, uint32_t slip) {
    server::RrlConfig c;
    c.rate = rate;
    c.slip = slip;
    c.buckets = 1024;
    return c;  // no exemptions
  }
  size_t ask(const std::vector<uint8_t>& wire, uint64_t now_ms = 1000, bool udp = true) {
    dns::Query q;
    auto parsed = dns::parse_query(wire.data(), wire.size(), q);
    auto* p = reinterpret_cast<const sockaddr*>(&peer);
    guard.check(q, parsed == dns::ParseResult::Ok ? p : nullptr);
    zone::ResponseInfo info;
    size_t len = zone::respond(q, parsed, snap.get(), !udp, out.data(), &info);
    return guard.finish(q, parsed == dns::ParseResult::Ok, info, udp, p, now_ms, out.data(), len);
  }
  // The COOKIE option ending a response of `len` bytes (client + server cookie), or empty.
  std::vector<uint8_t> cookie_of(size_t len) const {
    if (len < 28 || dns::get16(&out[len - 28]) != 10 || dns::get16(&out[len - 26]) != 24) return {};
    return {out.begin() + static_cast<long>(len) - 24, out.begin() + static_cast<long>(len)};
  }
  bool full(size_t len) const { return len > 0 && dns::get16(&out[6]) > 0; }
};

}  // namespace

TEST_CASE("a client cookie gets the answer plus a server cookie that verifies") {
  Bench b(100);
  size_t len = b.ask(query(kClient));
  REQUIRE(b.full(len));
  auto c = b.cookie_of(len);
  REQUIRE(c.size() == 24);
  CHECK(std::equal(kClient.begin(), kClient.end(), c.begin()));
  ldns_pkt* p = nullptr;
  REQUIRE(ldns_wire2pkt(&p, b.out.data(), len) == LDNS_STATUS_OK);  // still a well-formed message
  ldns_pkt_free(p);
  const uint8_t* addr = reinterpret_cast<const uint8_t*>(&b.peer.sin_addr);
  CHECK(dns::check_cookie(b.secrets, c.data(), c.size(), addr, 4, static_cast<uint32_t>(::time(nullptr))) ==
        dns::CookieVerdict::Valid);
  CHECK(b.counters.cookies[static_cast<size_t>(dns::CookieVerdict::ClientOnly)] == 1);
  // No cookie asked, none given; no OPT, no cookie either.
  CHECK(b.cookie_of(b.ask(query({}))).empty());
  CHECK(b.cookie_of(b.ask(query({}, false))).empty());
}

TEST_CASE("a flood without cookies: the burst in full, then TC=1 slips at 1 in 2, no bigger than the query") {
  Bench b(5, 2);
  auto q = query({});
  int full = 0, tc = 0, dropped = 0;
  for (int i = 0; i < 105; ++i) {
    size_t len = b.ask(q);
    if (len == 0) {
      ++dropped;
    } else if (b.out[2] & dns::flag::kTc) {
      ++tc;
      CHECK(len <= q.size());
      CHECK(dns::get16(&b.out[6]) == 0);
    } else {
      ++full;
    }
  }
  CHECK(full == 5);
  CHECK(tc == 50);
  CHECK(dropped == 50);
  auto positive = static_cast<size_t>(zone::ResponseClass::Positive);
  CHECK(b.counters.rrl_limited[positive] == 100);
  CHECK(b.counters.rrl_slipped[positive] == 50);
  // TCP is never limited.
  CHECK(b.full(b.ask(q, 1000, false)));
}

TEST_CASE("a flood with cookies: slips never exceed the query; BADCOOKIE teaches a cookie that passes") {
  Bench b(5, 1);
  // A client cookie alone: BADCOOKIE would be 16 bytes larger than the query, so TC=1.
  auto client_only = query(kClient);
  for (int i = 0; i < 5; ++i) REQUIRE(b.full(b.ask(client_only)));
  size_t len = b.ask(client_only);
  REQUIRE(len > 0);
  CHECK((b.out[2] & dns::flag::kTc) != 0);
  CHECK(len <= client_only.size());
  // A stale server cookie (another server's, or expired): BADCOOKIE with a fresh one.
  std::vector<uint8_t> stale = kClient;
  for (int i = 0; i < 16; ++i) stale.push_back(static_cast<uint8_t>(i == 0 ? 1 : 0x77));
  auto q = query(stale);
  len = b.ask(q);
  REQUIRE(len > 0);
  CHECK(dns::get16(&b.out[6]) == 0);
  CHECK((b.out[2] & dns::flag::kTc) == 0);
  CHECK((b.out[3] & 0x0F) == (dns::kBadCookie & 0x0F));
  CHECK(b.out[len - 28 - 6] == dns::kBadCookie >> 4);  // OPT TTL: extended RCODE
  CHECK(len <= q.size());
  auto c = b.cookie_of(len);
  REQUIRE(c.size() == 24);
  ldns_pkt* p = nullptr;
  REQUIRE(ldns_wire2pkt(&p, b.out.data(), len) == LDNS_STATUS_OK);
  ldns_pkt_free(p);
  auto with_cookie = query(c);
  int full = 0;
  for (int i = 0; i < 200; ++i) full += b.full(b.ask(with_cookie));
  CHECK(full == 200);
  CHECK(b.counters.cookies[static_cast<size_t>(dns::CookieVerdict::Valid)] == 200);
  // Meanwhile the same source without a valid cookie is still limited.
  CHECK_FALSE(b.full(b.ask(query({}))));
}

TEST_CASE("an invalid server cookie is answered normally with a fresh one (RFC 7873 §5.2.4)") {
  Bench b(100);
  std::vector<uint8_t> forged = kClient;
  for (int i = 0; i < 16; ++i) forged.push_back(static_cast<uint8_t>(i == 0 ? 1 : 0x55));
  size_t len = b.ask(query(forged));
  CHECK(b.full(len));
  CHECK((b.out[3] & 0x0F) == 0);
  auto c = b.cookie_of(len);
  REQUIRE(c.size() == 24);
  CHECK_FALSE(std::equal(forged.begin() + 8, forged.end(), c.begin() + 8));
  CHECK(b.counters.cookies[static_cast<size_t>(dns::CookieVerdict::Invalid)] == 1);
}

TEST_CASE("after a rotation the previous secret's cookies still pass the limiter") {
  Bench b(1, 0);
  size_t len = b.ask(query(kClient));
  auto old_cookie = b.cookie_of(len);
  REQUIRE(old_cookie.size() == 24);
  dns::CookieSecrets rotated;
  for (int i = 0; i < 16; ++i) rotated.current[i] = static_cast<uint8_t>(i);
  std::memcpy(rotated.previous, b.secrets.current, 16);
  rotated.has_previous = true;
  b.guard.set_secrets(rotated);
  int full = 0;
  for (int i = 0; i < 20; ++i) full += b.full(b.ask(query(old_cookie)));
  CHECK(full == 20);
  dns::CookieSecrets rotated_twice = rotated;
  for (int i = 0; i < 16; ++i) rotated_twice.previous[i] = static_cast<uint8_t>(0xF0 + i);
  b.guard.set_secrets(rotated_twice);
  full = 0;
  for (int i = 0; i < 20; ++i) full += b.full(b.ask(query(old_cookie)));
  CHECK(full == 0);  // slip 0: limited responses are all dropped
}
