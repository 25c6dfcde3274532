// Numbers that do not fit their field are refused by name, before ldns wraps them (issue 14).
#include "dns/rdata_ranges.h"

#include <doctest/doctest.h>

#include "dns/rr.h"
#include "dns/rr_text.h"

using namespace fodns;

namespace {
std::string refusal(const char* text) { return dns::check_rr_ranges(text).value_or("accepted"); }
}  // namespace

TEST_CASE("rdata ranges: 16-bit fields of SRV, MX and NAPTR") {
  CHECK(refusal("r. 60 IN SRV 1 2 70000 x.") == "SRV port 70000 is out of range 0..65535");
  CHECK(refusal("r. 60 SRV 70000 65536 65537 x.") == "SRV priority 70000 is out of range 0..65535");
  CHECK(refusal("r. 60 SRV 1 65536 5 x.") == "SRV weight 65536 is out of range 0..65535");
  CHECK(refusal("r. MX 65536 mx.") == "MX preference 65536 is out of range 0..65535");
  CHECK(refusal("r. 60 IN NAPTR 1 70000 \"s\" \"SIP+D2U\" \"\" x.") ==
        "NAPTR preference 70000 is out of range 0..65535");
  CHECK(refusal("r. 60 IN MX -1 mx.") == "MX preference '-1' is not a number");
  CHECK(refusal("r. 60 IN SRV 65535 0 5060 x.") == "accepted");
  CHECK(refusal("r. 60 IN MX 99999999999999999999999 mx.") ==
        "MX preference 99999999999999999999999 is out of range 0..65535");
}

TEST_CASE("rdata ranges: 8- and 32-bit fields, SOA timers, generic rdata") {
  CHECK(refusal("r. 60 CAA 256 issue \"ca.example\"") == "CAA flags 256 is out of range 0..255");
  CHECK(refusal("r. SSHFP 1 300 abcd") == "SSHFP fingerprint type 300 is out of range 0..255");
  CHECK(refusal("r. SOA ns. h. 4294967296 1 1 1 1") ==
        "SOA serial 4294967296 is out of range 0..4294967295");
  CHECK(refusal("r. SOA ns. h. 1 1 1 1 8000000w") ==
        "SOA minimum 8000000w is out of range 0..4294967295");
  CHECK(refusal("r. SOA ns. h. ( 1 ; serial\n 3600 600 1209600 30 )") == "accepted");
  CHECK(refusal("r. DS 1 RSASHA256 2 abcd") == "accepted");  // mnemonics are ldns's to check
  CHECK(refusal("r. DS 1 256 2 abcd") == "DS algorithm 256 is out of range 0..255");
  CHECK(refusal("r. TYPE65280 \\# 70000 00") == "TYPE65280 rdata length 70000 is out of range 0..65535");
}

TEST_CASE("rdata ranges: TTLs are 0..2^31-1 (RFC 2181 §8), with or without units") {
  CHECK(refusal("r. 8589934597 A 192.0.2.1") == "TTL 8589934597 is above 2147483647 (RFC 2181 §8)");
  CHECK(refusal("r. 4294967296 A 192.0.2.1") == "TTL 4294967296 is above 2147483647 (RFC 2181 §8)");
  CHECK(refusal("r. 2147483647 A 192.0.2.1") == "accepted");
  CHECK(refusal("r. 2147483648 A 192.0.2.1") == "TTL 2147483648 is above 2147483647 (RFC 2181 §8)");
  CHECK(refusal("r. 30x A 192.0.2.1") == "TTL '30x' is not a number of seconds");
  CHECK(refusal(" 1w IN A 192.0.2.1") == "accepted");
  CHECK(dns::check_ttl_text("-5").value_or("") == "TTL '-5' is not a number of seconds");
  CHECK(dns::check_ttl_text("99999999999").value_or("") ==
        "TTL 99999999999 is above 2147483647 (RFC 2181 §8)");
  CHECK(dns::period_seconds("1h30m") == 5400);
  CHECK(!dns::period_seconds("h"));
  CHECK(!dns::period_seconds("99999999999999999999999"));
}

TEST_CASE("rr_from_text refuses what ldns would wrap, and says which field") {
  auto r = dns::rr_from_text("_sip._udp 30 IN SRV 10 50 70000 sip", "example.net.");
  REQUIRE(!r);
  CHECK(r.error().message == "SRV port 70000 is out of range 0..65535");
  auto ok = dns::rr_from_text("_sip._udp 30 IN SRV 10 50 5060 sip", "example.net.");
  REQUIRE(ok);
  CHECK(dns::rr_to_text(*ok) == "_sip._udp.example.net.\t30\tIN\tSRV\t10 50 5060 sip.example.net.");
}

TEST_CASE("record text: tokens as ldns splits them") {
  auto t = dns::split_rr_tokens("a 60 TXT ( \"x y\" ; c\n \"z\\\" w\" ) ; end\nnext");
  CHECK(t.has_owner);
  REQUIRE(t.tokens.size() == 5);
  CHECK(t.tokens[3] == "\"x y\"");
  CHECK(t.tokens[4] == "\"z\\\" w\"");
  CHECK(!dns::split_rr_tokens("  60 A 192.0.2.1").has_owner);
}
