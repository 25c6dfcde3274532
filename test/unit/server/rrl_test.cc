// RateLimiter with an injected clock: token bucket and burst, slip ratio, prefix
// masking, exemptions, the keys of each response class (through the real
// responder), and the start/stop log episodes.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>
#include <string>

// Before the fixture: ldns (in the fixture) may define `false`, which breaks <optional>.
#include "server/rrl.h"
#include "../zone/answer_fixture.h"

using namespace fodns;
using server::RrlAction;
using zone::ResponseClass;

namespace {

sockaddr_storage peer(const char* ip) {
  sockaddr_storage ss{};
  if (std::string(ip).find(':') != std::string::npos) {
    auto* s6 = reinterpret_cast<sockaddr_in6*>(&ss);
    s6->sin6_family = AF_INET6;
    REQUIRE(inet_pton(AF_INET6, ip, &s6->sin6_addr) == 1);
  } else {
    auto* s4 = reinterpret_cast<sockaddr_in*>(&ss);
    s4->sin_family = AF_INET;
    REQUIRE(inet_pton(AF_INET, ip, &s4->sin_addr) == 1);
  }
  return ss;
}

const uint8_t kName[] = {3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'n', 'e', 't', 0};

struct Limiter {
  server::RateLimiter rrl;
  explicit Limiter(uint32_t rate, uint32_t slip = 2) : rrl(config(rate, slip)) {}
  static server::RrlConfig config(uint32_t rate, uint32_t slip) {
    server::RrlConfig c;
    c.rate = rate;
    c.slip = slip;
    c.buckets = 1024;
    return c;
  }
  RrlAction send(const char* ip, uint64_t now, ResponseClass cls = ResponseClass::Positive,
                 uint16_t qtype = 1, const uint8_t* name = kName, size_t len = sizeof kName) {
    auto p = peer(ip);
    return rrl.account(reinterpret_cast<const sockaddr*>(&p), cls, qtype, name, len, now);
  }
  // How many of `n` responses at time `now` go out in full.
  int sent(int n, const char* ip, uint64_t now, ResponseClass cls = ResponseClass::Positive,
           uint16_t qtype = 1, const uint8_t* name = kName, size_t len = sizeof kName) {
    int s = 0;
    for (int i = 0; i < n; ++i) s += send(ip, now, cls, qtype, name, len) == RrlAction::Send;
    return s;
  }
};

}  // namespace

TEST_CASE("token bucket: a burst of one second's worth, then `rate` a second") {
  Limiter l(10);
  CHECK(l.sent(25, "192.0.2.1", 1000) == 10);  // the burst
  CHECK(l.sent(5, "192.0.2.1", 1100) == 1);     // 100 ms refill one
  CHECK(l.sent(5, "192.0.2.1", 1150) == 0);     // half a token is not a response
  CHECK(l.sent(5, "192.0.2.1", 1200) == 1);
  CHECK(l.sent(50, "192.0.2.1", 60000) == 10);  // idle for a minute: capped at the burst
  // Over 10 s of a steady flood: rate × seconds, nothing more.
  int total = 0;
  for (uint64_t t = 100000; t < 110000; t += 10) total += l.sent(5, "192.0.2.1", t);
  CHECK(total >= 99);
  CHECK(total <= 110);  // rate × 10 s + the burst
}

TEST_CASE("slip: every Nth limited response; 0 drops all, 1 slips all") {
  for (uint32_t slip : {0u, 1u, 2u, 3u}) {
    CAPTURE(slip);
    Limiter l(5, slip);
    CHECK(l.sent(5, "192.0.2.1", 1000) == 5);
    int slipped = 0, dropped = 0;
    for (int i = 0; i < 600; ++i) {
      auto a = l.send("192.0.2.1", 1000);
      slipped += a == RrlAction::Slip;
      dropped += a == RrlAction::Drop;
    }
    CHECK(slipped + dropped == 600);
    CHECK(slipped == (slip == 0 ? 0 : 600 / static_cast<int>(slip)));
  }
}

TEST_CASE("prefixes: /24 and /56 share a budget, other prefixes have their own") {
  Limiter l(4);
  CHECK(l.sent(2, "192.0.2.1", 1000) == 2);
  CHECK(l.sent(5, "192.0.2.200", 1000) == 2);  // same /24
  CHECK(l.sent(5, "192.0.3.1", 1000) == 4);    // next /24
  CHECK(l.sent(5, "::ffff:192.0.2.9", 1000) == 0);  // v4-mapped is the IPv4 client
  CHECK(l.sent(3, "2001:db8:0:100::1", 1000) == 3);
  CHECK(l.sent(5, "2001:db8:0:1ff:ffff::2", 1000) == 1);  // same /56
  CHECK(l.sent(5, "2001:db8:0:200::1", 1000) == 4);       // next /56

  server::RrlConfig c = Limiter::config(4, 2);
  c.ipv4_prefix = 32;
  server::RateLimiter host(c);
  auto a = peer("192.0.2.1"), b = peer("192.0.2.2");
  int sa = 0, sb = 0;
  for (int i = 0; i < 6; ++i) {
    sa += host.account(reinterpret_cast<sockaddr*>(&a), ResponseClass::Positive, 1, kName, sizeof kName, 0) == RrlAction::Send;
    sb += host.account(reinterpret_cast<sockaddr*>(&b), ResponseClass::Positive, 1, kName, sizeof kName, 0) == RrlAction::Send;
  }
  CHECK(sa == 4);
  CHECK(sb == 4);
}

TEST_CASE("keys: positive per qname and qtype; errors per prefix; NXDOMAIN per the name given") {
  Limiter l(3);
  const uint8_t other[] = {3, 'f', 't', 'p', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'n', 'e', 't', 0};
  CHECK(l.sent(5, "192.0.2.1", 0, ResponseClass::Positive, 1) == 3);
  CHECK(l.sent(5, "192.0.2.1", 0, ResponseClass::Positive, 28) == 3);  // AAAA: its own
  CHECK(l.sent(5, "192.0.2.1", 0, ResponseClass::Positive, 1, other, sizeof other) == 3);
  CHECK(l.sent(5, "192.0.2.1", 0, ResponseClass::NxDomain, 1) == 3);  // another class
  CHECK(l.sent(5, "192.0.2.1", 0, ResponseClass::NxDomain, 28) == 0);  // qtype does not matter
  CHECK(l.sent(2, "192.0.2.1", 0, ResponseClass::Error, 1) == 2);
  CHECK(l.sent(5, "192.0.2.1", 0, ResponseClass::Error, 28, other, sizeof other) == 1);  // one budget
}

TEST_CASE("the responder's classes and keys: random names share the zone's NXDOMAIN budget") {
  auto snap = test::build({test::zone_from_text("example.net.", R"(
example.net. 3600 IN SOA ns1.example.net. h.example.net. 1 3600 600 86400 60
example.net. 300 IN NS ns1.example.net.
ns1.example.net. 300 IN A 192.0.2.1
www.example.net. 300 IN A 192.0.2.80
*.wild.example.net. 300 IN A 192.0.2.99
sub.example.net. 300 IN NS ns.sub.example.net.
ns.sub.example.net. 300 IN A 192.0.2.53
)")});
  struct Case {
    const char *name, *type;
    ResponseClass cls;
    const char* key;  // the keyed suffix, as text
  } cases[] = {
      {"www.example.net.", "A", ResponseClass::Positive, "www.example.net."},
      {"www.example.net.", "MX", ResponseClass::NoData, "www.example.net."},
      {"nope.example.net.", "A", ResponseClass::NxDomain, "example.net."},
      {"a.b.c.nope.example.net.", "A", ResponseClass::NxDomain, "example.net."},
      {"x.wild.example.net.", "A", ResponseClass::Wildcard, "wild.example.net."},
      {"y.z.wild.example.net.", "A", ResponseClass::Wildcard, "wild.example.net."},
      {"deep.sub.example.net.", "A", ResponseClass::Referral, "sub.example.net."},
      {"www.other.org.", "A", ResponseClass::Error, nullptr},
  };
  for (const auto& c : cases) {
    CAPTURE(c.name);
    CAPTURE(c.type);
    auto r = test::ask(*snap, c.name, c.type);
    CHECK(r.info.rclass == c.cls);
    if (!c.key) continue;
    // key_off is an offset into the lowercase wire qname: its suffix must be the key's name.
    std::string name = c.name;
    size_t pos = 0, wire = 0;
    while (wire < r.info.key_off) {
      size_t dot = name.find('.', pos);
      wire += 1 + dot - pos;
      pos = dot + 1;
    }
    std::string suffix = name.substr(pos);
    CHECK(suffix == c.key);
  }
}

TEST_CASE("exemptions: loopback by default, 'none', bad prefixes refused") {
  server::RrlConfig c;
  c.exempt = server::loopback_exempt();
  server::RateLimiter l(c);
  auto lo = peer("127.0.0.5"), lo6 = peer("::1"), out = peer("192.0.2.1");
  CHECK(l.exempt(reinterpret_cast<sockaddr*>(&lo)));
  CHECK(l.exempt(reinterpret_cast<sockaddr*>(&lo6)));
  CHECK_FALSE(l.exempt(reinterpret_cast<sockaddr*>(&out)));
  auto none = server::parse_rrl_exempt({"none"});
  REQUIRE(none);
  CHECK(none->empty());
  auto two = server::parse_rrl_exempt({"192.0.2.0/24", "2001:db8::/32"});
  REQUIRE(two);
  CHECK(two->size() == 2);
  CHECK_FALSE(server::parse_rrl_exempt({"192.0.2.1/24"}));  // host bits set
  CHECK_FALSE(server::parse_rrl_exempt({"none", "192.0.2.0/24"}));
  CHECK_FALSE(server::parse_rrl_exempt({"example.net"}));
}

TEST_CASE("log episodes: one start line, a stop line after 5 s quiet, at most one start a minute") {
  Limiter l(1);
  std::vector<server::RrlEpisode> ep;
  l.rrl.collect_episodes(0, &ep);
  CHECK(ep.empty());
  l.sent(10, "198.51.100.7", 1000);
  l.rrl.collect_episodes(2000, &ep);
  REQUIRE(ep.size() == 1);
  CHECK(ep[0].started);
  CHECK(ep[0].prefix == "198.51.100.0/24");
  CHECK(ep[0].limited == 9);
  ep.clear();
  l.sent(10, "198.51.100.8", 2500);  // still limited: no second start line
  l.rrl.collect_episodes(3000, &ep);
  CHECK(ep.empty());
  l.rrl.collect_episodes(8000, &ep);  // quiet since 2.5 s
  REQUIRE(ep.size() == 1);
  CHECK_FALSE(ep[0].started);
  CHECK(ep[0].limited >= 18);
  ep.clear();
  l.sent(10, "198.51.100.9", 20000);  // a new episode within the minute: not logged
  l.rrl.collect_episodes(21000, &ep);
  l.rrl.collect_episodes(30000, &ep);
  CHECK(ep.empty());
  l.sent(10, "198.51.100.9", 70000);  // a minute after the last start line: logged again
  l.rrl.collect_episodes(71000, &ep);
  REQUIRE(ep.size() == 1);
  CHECK(ep[0].started);
}
