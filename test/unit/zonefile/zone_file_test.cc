#include "zonefile/zone_file.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <ldns/ldns.h>

#include <sstream>

using namespace fodns;
using fodns::zonefile::parse_zone_text;

namespace {

dns::Bytes wire(const char* name) { return dns::name_from_text(name).value(); }

constexpr const char* kZone =
    "; a comment line\n"
    "$ORIGIN example.net.\n"
    "$TTL 300\n"
    "@   IN SOA ns1 hostmaster (\n"
    "        7 ; serial\n"
    "        3600 600 1209600 30 )\n"
    "    IN NS ns1\n"
    "ns1 IN A 192.0.2.1\n"
    "\n"
    "sip 30 IN A 192.0.2.10\n"
    "_sip._udp 30 IN SRV 10 50 5060 sip\n"
    "$TTL 60\n"
    "www CNAME sip.example.net.\n";

}  // namespace

TEST_CASE("zone file: relative names, $TTL, multi-line records and line numbers") {
  auto r = parse_zone_text(kZone, "t.zone");
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  const auto& z = r.value();
  CHECK(z.origin_text == "example.net.");
  CHECK(z.content.origin == wire("example.net."));
  CHECK(z.content.serial == 7);
  REQUIRE(z.content.rrs.size() == 6);
  CHECK(z.lines == std::vector<int>{4, 7, 8, 10, 11, 13});
  CHECK(z.content.rrs[0].type == LDNS_RR_TYPE_SOA);
  CHECK(z.content.rrs[1].owner == wire("example.net."));  // blank owner = previous owner
  CHECK(z.content.rrs[1].ttl == 300);
  CHECK(z.content.rrs[3].ttl == 30);
  CHECK(z.content.rrs[5].ttl == 60);  // second $TTL applies from there on
  // The SRV target "sip" was relative to the origin.
  CHECK(dns::rr_to_text(z.content.rrs[4]) ==
        "_sip._udp.example.net.\t30\tIN\tSRV\t10 50 5060 sip.example.net.");
}

TEST_CASE("zone file: $INCLUDE is refused with its line") {
  auto r = parse_zone_text("$ORIGIN example.net.\n@ SOA a b 1 2 3 4 5\n\n$INCLUDE other.zone\n",
                           "t.zone");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.starts_with("t.zone:4: $INCLUDE"));
}

TEST_CASE("zone file: syntax errors carry the first line of the record") {
  auto r = parse_zone_text("$ORIGIN example.net.\n; c\n\nmx IN MX ( 10\n  not-a-name.. )\n",
                           "bad.zone");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message.starts_with("bad.zone:4: "));
  auto r2 = parse_zone_text("$ORIGIN example.net.\nsip IN A 300.1.1.1\n", "bad.zone");
  REQUIRE_FALSE(r2.ok());
  CHECK(r2.error().message.starts_with("bad.zone:2: "));
}

TEST_CASE("zone file: origin from --origin, else $ORIGIN, else the SOA owner") {
  auto from_soa = parse_zone_text(
      "example.org. 60 IN SOA ns.example.org. h.example.org. 1 2 3 4 5\n", "t.zone");
  REQUIRE(from_soa.ok());
  CHECK(from_soa->origin_text == "example.org.");

  auto given = parse_zone_text("@ 60 IN SOA ns h 1 2 3 4 5\nsip A 192.0.2.1\n", "t.zone",
                               "Example.COM");
  REQUIRE(given.ok());
  CHECK(given->origin_text == "example.com.");
  CHECK(given->content.rrs[1].owner == wire("sip.example.com."));
}

TEST_CASE("zone file: a relative name with no origin is an error, not the root") {
  auto r = parse_zone_text("sip 60 IN A 192.0.2.1\n", "t.zone");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "t.zone:1: relative name 'sip' but no $ORIGIN (use --origin)");
  auto r2 = parse_zone_text("x.example.org. 60 IN CNAME target\n", "t.zone");
  REQUIRE_FALSE(r2.ok());
  CHECK(r2.error().message.find("'target'") != std::string::npos);
}

TEST_CASE("zone file: class IN only") {
  auto r = parse_zone_text("$ORIGIN example.net.\n\nx 60 CH TXT \"a\"\n", "t.zone");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().message == "t.zone:3: class CH is not served (only IN)");
}

TEST_CASE("zone file: identical records are dropped, the first one kept") {
  auto r = parse_zone_text(
      "$ORIGIN example.net.\nsip 30 A 192.0.2.1\nsip 60 A 192.0.2.1\nsip 30 A 192.0.2.2\n",
      "t.zone");
  REQUIRE(r.ok());
  CHECK(r->duplicates == 1);
  REQUIRE(r->content.rrs.size() == 2);
  CHECK(r->content.rrs[0].ttl == 30);
  CHECK(r->lines == std::vector<int>{2, 4});
}

TEST_CASE("zone file: every type ldns knows, and unknown types in RFC 3597 form") {
  auto r = parse_zone_text(
      "$ORIGIN example.net.\n"
      "@ NAPTR 10 50 \"s\" \"SIP+D2U\" \"\" _sip._udp\n"
      "@ CAA 0 issue \"ca.example\"\n"
      "@ TYPE65280 \\# 4 0a000001\n"
      "@ SSHFP 1 1 123456789abcdef67890123456789abcdef67890\n",
      "t.zone");
  REQUIRE_MESSAGE(r.ok(), r.error().message);
  CHECK(r->content.rrs.size() == 4);
  CHECK(r->content.rrs[2].type == 65280);
  CHECK(r->content.rrs[2].rdata == dns::Bytes{0x0a, 0, 0, 1});
}

TEST_CASE("parse_absolute_rr: names must be absolute") {
  auto ok = zonefile::parse_absolute_rr("sip.example.net. 30 IN A 192.0.2.1");
  REQUIRE(ok.ok());
  CHECK(ok->owner == wire("sip.example.net."));
  auto rel = zonefile::parse_absolute_rr("sip.example.net. 30 IN CNAME web");
  REQUIRE_FALSE(rel.ok());
  CHECK(rel.error().message == "name 'web' is relative: end it with a dot");
}

TEST_CASE("canonical order (RFC 4034 §6.1)") {
  // The example list from RFC 4034 §6.1, in order.
  const char* names[] = {"example.",       "a.example.",      "yljkjljk.a.example.",
                         "z.a.example.",   "zabc.a.example.", "z.example.",
                         "\\001.z.example.", "*.z.example.",  "\\200.z.example."};
  for (size_t i = 0; i + 1 < std::size(names); ++i) {
    CHECK_MESSAGE(zonefile::canonical_name_compare(wire(names[i]), wire(names[i + 1])) < 0,
                  names[i]);
    CHECK(zonefile::canonical_name_compare(wire(names[i + 1]), wire(names[i])) > 0);
  }
  CHECK(zonefile::canonical_name_compare(wire("a.example."), wire("a.example.")) == 0);
}

TEST_CASE("write_zone: SOA first with the served serial, absolute names, parses back") {
  auto r = parse_zone_text(kZone, "t.zone");
  REQUIRE(r.ok());
  auto content = r->content;
  content.serial = 4000000000u;
  std::ostringstream out;
  zonefile::write_zone(content, out);
  std::string text = out.str();
  CHECK(text.starts_with("example.net.\t300\tIN\tSOA\tns1.example.net. hostmaster.example.net. "
                         "4000000000 3600"));
  CHECK(text.find("$ORIGIN") == std::string::npos);
  auto back = parse_zone_text(text, "export");
  REQUIRE_MESSAGE(back.ok(), back.error().message);
  CHECK(back->content.serial == 4000000000u);
  CHECK(back->content.rrs.size() == content.rrs.size());
  for (const auto& rr : content.rrs) {
    if (rr.type == LDNS_RR_TYPE_SOA) continue;
    CHECK(std::find(back->content.rrs.begin(), back->content.rrs.end(), rr) !=
          back->content.rrs.end());
  }
}
