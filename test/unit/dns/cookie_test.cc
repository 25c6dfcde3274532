// SipHash-2-4 against the reference vectors, RFC 9018 server cookies against its
// Appendix A, cookie verdicts (RFC 7873 §5.2) and the COOKIE option's parsing.
#include <doctest/doctest.h>

#include <arpa/inet.h>

#include <string>
#include <vector>

#include "dns/cookie.h"
#include "dns/query.h"
#include "dns/siphash.h"

using namespace fodns;

namespace {

std::vector<uint8_t> unhex(const std::string& s) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < s.size(); i += 2) out.push_back(static_cast<uint8_t>(std::stoi(s.substr(i, 2), nullptr, 16)));
  return out;
}

std::string hex(const uint8_t* p, size_t n) {
  std::string s;
  static const char* d = "0123456789abcdef";
  for (size_t i = 0; i < n; ++i) {
    s += d[p[i] >> 4];
    s += d[p[i] & 15];
  }
  return s;
}

std::vector<uint8_t> addr(const char* text) {
  std::vector<uint8_t> a(16);
  bool v6 = std::string(text).find(':') != std::string::npos;
  REQUIRE(inet_pton(v6 ? AF_INET6 : AF_INET, text, a.data()) == 1);
  a.resize(v6 ? 16 : 4);
  return a;
}

dns::CookieSecrets secrets(const std::string& current, const std::string& previous = "") {
  dns::CookieSecrets s;
  auto c = unhex(current);
  std::copy(c.begin(), c.end(), s.current);
  if (!previous.empty()) {
    auto p = unhex(previous);
    std::copy(p.begin(), p.end(), s.previous);
    s.has_previous = true;
  }
  return s;
}

dns::CookieVerdict verdict(const dns::CookieSecrets& s, const std::string& option, const char* ip,
                           uint32_t now) {
  auto o = unhex(option);
  auto a = addr(ip);
  return dns::check_cookie(s, o.data(), o.size(), a.data(), a.size(), now);
}

}  // namespace

TEST_CASE("SipHash-2-4 reference vectors (key 00..0f, message 00..n-1)") {
  uint8_t key[16], msg[64];
  for (int i = 0; i < 16; ++i) key[i] = static_cast<uint8_t>(i);
  for (int i = 0; i < 64; ++i) msg[i] = static_cast<uint8_t>(i);
  CHECK(dns::siphash24(key, msg, 0) == 0x726fdb47dd0e0e31ULL);
  CHECK(dns::siphash24(key, msg, 1) == 0x74f839c593dc67fdULL);
  CHECK(dns::siphash24(key, msg, 8) == 0x93f5f5799a932462ULL);
  CHECK(dns::siphash24(key, msg, 15) == 0xa129ca6149be45e5ULL);  // the paper's worked example
  CHECK(dns::siphash24(key, msg, 63) == 0x958a324ceb064572ULL);
}

TEST_CASE("RFC 9018 Appendix A: the server cookies we make") {
  struct Vector {
    const char *secret, *client, *ip;
    uint32_t now;
    const char* want;
  } vectors[] = {
      {"e5e973e5a6b2a43f48e7dc849e37bfcf", "2464c4abcf10c957", "198.51.100.100", 1559731985,
       "010000005cf79f111f8130c3eee29480"},
      {"e5e973e5a6b2a43f48e7dc849e37bfcf", "2464c4abcf10c957", "198.51.100.100", 1559734385,
       "010000005cf7a871d4a564a1442aca77"},
      {"e5e973e5a6b2a43f48e7dc849e37bfcf", "fc93fc62807ddb86", "203.0.113.203", 1559734700,
       "010000005cf7a9acf73a7810aca2381e"},
  };
  for (const auto& v : vectors) {
    CAPTURE(v.want);
    auto key = unhex(v.secret);
    auto client = unhex(v.client);
    auto a = addr(v.ip);
    uint8_t out[16];
    dns::make_server_cookie(key.data(), client.data(), v.now, a.data(), a.size(), out);
    CHECK(hex(out, 16) == v.want);
  }
}

TEST_CASE("cookie verdicts: valid, expired, ahead, other address, Reserved hashed as received") {
  auto s = secrets("e5e973e5a6b2a43f48e7dc849e37bfcf");
  const std::string a1 = "2464c4abcf10c957010000005cf79f111f8130c3eee29480";
  CHECK(verdict(s, a1, "198.51.100.100", 1559731985) == dns::CookieVerdict::Valid);
  CHECK(verdict(s, a1, "198.51.100.100", 1559731985 + 3600) == dns::CookieVerdict::Valid);
  CHECK(verdict(s, a1, "198.51.100.100", 1559731985 + 3601) == dns::CookieVerdict::Invalid);
  CHECK(verdict(s, a1, "198.51.100.100", 1559731985 - 300) == dns::CookieVerdict::Valid);
  CHECK(verdict(s, a1, "198.51.100.100", 1559731985 - 301) == dns::CookieVerdict::Invalid);
  CHECK(verdict(s, a1, "198.51.100.101", 1559731985) == dns::CookieVerdict::Invalid);
  CHECK(verdict(s, "2464c4abcf10c957", "198.51.100.100", 1559731985) == dns::CookieVerdict::ClientOnly);
  // A.3: the client sent Reserved bytes 0xabcdef; the hash covers them as sent.
  CHECK(verdict(s, "fc93fc62807ddb8601abcdef5cf78f71a314227b6679ebf5", "203.0.113.203", 0x5cf78f71 + 100) ==
        dns::CookieVerdict::Valid);
  // Another server's cookie (8 bytes, or not version 1) is simply not ours.
  CHECK(verdict(s, "2464c4abcf10c9570102030405060708", "198.51.100.100", 1559731985) ==
        dns::CookieVerdict::Invalid);
  CHECK(verdict(s, "2464c4abcf10c957020000005cf79f111f8130c3eee29480", "198.51.100.100", 1559731985) ==
        dns::CookieVerdict::Invalid);
}

TEST_CASE("cookie rollover: the previous secret still verifies, a third does not (RFC 9018 A.4)") {
  const std::string cookie = "22681ab97d52c298010000005cf7c57926556bd0934c72f8";
  const char* ip = "2001:db8:220:1:59de:d0f4:8769:82b8";
  uint32_t now = 0x5cf7c579 + 60;
  auto old_only = secrets("dd3bdf9344b678b185a6f5cb60fca715");
  CHECK(verdict(old_only, cookie, ip, now) == dns::CookieVerdict::Valid);
  auto rolled = secrets("445536bcd2513298075a5d379663c962", "dd3bdf9344b678b185a6f5cb60fca715");
  CHECK(verdict(rolled, cookie, ip, now) == dns::CookieVerdict::Valid);
  auto rolled_twice = secrets("445536bcd2513298075a5d379663c962", "00112233445566778899aabbccddeeff");
  CHECK(verdict(rolled_twice, cookie, ip, now) == dns::CookieVerdict::Invalid);
}

namespace {
// A query for example.net/A with one OPT carrying `options` (raw TLVs).
std::vector<uint8_t> query_with_options(const std::vector<uint8_t>& options) {
  std::vector<uint8_t> w = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1,
                            7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'n', 'e', 't', 0, 0, 1, 0, 1,
                            0, 0, 41, 0x10, 0, 0, 0, 0, 0};
  w.push_back(static_cast<uint8_t>(options.size() >> 8));
  w.push_back(static_cast<uint8_t>(options.size()));
  w.insert(w.end(), options.begin(), options.end());
  return w;
}
std::vector<uint8_t> cookie_option(size_t len) {
  std::vector<uint8_t> o = {0, 10, 0, static_cast<uint8_t>(len)};
  for (size_t i = 0; i < len; ++i) o.push_back(static_cast<uint8_t>(i + 1));
  return o;
}
}  // namespace

TEST_CASE("COOKIE option parsing: legal lengths are found, others and duplicates are FORMERR") {
  for (size_t len : {8, 16, 24, 40}) {
    CAPTURE(len);
    auto w = query_with_options(cookie_option(len));
    dns::Query q;
    REQUIRE(dns::parse_query(w.data(), w.size(), q) == dns::ParseResult::Ok);
    CHECK(q.cookie_len == len);
    CHECK(q.msg[q.cookie_off] == 1);
  }
  for (size_t len : {0, 7, 9, 15, 41}) {
    CAPTURE(len);
    auto w = query_with_options(cookie_option(len));
    dns::Query q;
    CHECK(dns::parse_query(w.data(), w.size(), q) == dns::ParseResult::FormErr);
    CHECK(q.why == dns::Malformed::BadOpt);
  }
  auto two = cookie_option(8);
  auto again = cookie_option(8);
  two.insert(two.end(), again.begin(), again.end());
  auto w = query_with_options(two);
  dns::Query q;
  CHECK(dns::parse_query(w.data(), w.size(), q) == dns::ParseResult::FormErr);
  // No COOKIE: nothing recorded.
  auto plain = query_with_options({});
  REQUIRE(dns::parse_query(plain.data(), plain.size(), q) == dns::ParseResult::Ok);
  CHECK(q.cookie_len == 0);
}
