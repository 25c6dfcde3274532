#include "zonefile/zone_validator.h"

#include <doctest/doctest.h>
#include <ldns/ldns.h>

#include "zonefile/zone_file.h"

using namespace fodns;

namespace {

dns::Bytes wire(const char* name) { return dns::name_from_text(name).value(); }

dns::Rr rr(const char* text) { return zonefile::parse_absolute_rr(text).value(); }

dns::ZoneContent zone(std::initializer_list<const char*> lines) {
  dns::ZoneContent z;
  z.origin = wire("example.net.");
  for (const char* l : lines) z.rrs.push_back(rr(l));
  return z;
}

constexpr const char* kSoa = "example.net. 60 SOA ns1.example.net. h.example.net. 1 2 3 4 5";
constexpr const char* kNs = "example.net. 60 NS ns1.example.net.";

}  // namespace

TEST_CASE("validator: a minimal zone passes") {
  CHECK_FALSE(zonefile::validate_zone(zone({kSoa, kNs, "ns1.example.net. 60 A 192.0.2.1"})));
}

TEST_CASE("validator: SOA missing, duplicate, not at the apex") {
  auto missing = zonefile::validate_zone(zone({kNs}));
  REQUIRE(missing);
  CHECK(missing->rr_index == zonefile::ZoneError::kWholeZone);
  CHECK(missing->reason == "no SOA record at the apex example.net.");

  auto twice = zonefile::validate_zone(
      zone({kSoa, kNs, "example.net. 60 SOA ns2.example.net. h.example.net. 2 2 3 4 5"}));
  REQUIRE(twice);
  CHECK(twice->rr_index == 2);

  auto below = zonefile::validate_zone(
      zone({kSoa, kNs, "sub.example.net. 60 SOA ns1.example.net. h.example.net. 1 2 3 4 5"}));
  REQUIRE(below);
  CHECK(below->rr_index == 2);
  CHECK(below->reason.find("not at the apex") != std::string::npos);
}

TEST_CASE("validator: NS at the apex is required") {
  auto e = zonefile::validate_zone(zone({kSoa, "sub.example.net. 60 NS ns.other."}));
  REQUIRE(e);
  CHECK(e->rr_index == 0);  // reported at the SOA
  CHECK(e->reason == "no NS records at the apex example.net.");
}

TEST_CASE("validator: CNAME beside other data, two CNAMEs") {
  auto e = zonefile::validate_zone(
      zone({kSoa, kNs, "www.example.net. 60 A 192.0.2.1", "x.example.net. 60 A 192.0.2.2",
            "www.example.net. 60 CNAME web.example.net."}));
  REQUIRE(e);
  CHECK(e->rr_index == 4);  // the later of the two conflicting records
  CHECK(e->reason == "CNAME and other data at www.example.net.");

  auto two = zonefile::validate_zone(zone({kSoa, kNs, "www.example.net. 60 CNAME a.example.net.",
                                           "www.example.net. 60 CNAME b.example.net."}));
  REQUIRE(two);
  CHECK(two->rr_index == 3);
  CHECK(two->reason == "second CNAME at www.example.net.");

  auto apex = zonefile::validate_zone(zone({kSoa, kNs, "example.net. 60 CNAME a.other."}));
  REQUIRE(apex);
  CHECK(apex->reason.find("CNAME and other data") != std::string::npos);
}

TEST_CASE("validator: names outside the origin") {
  auto e = zonefile::validate_zone(
      zone({kSoa, kNs, "example.org. 60 A 192.0.2.1", "xexample.net. 60 A 192.0.2.1"}));
  REQUIRE(e);
  CHECK(e->rr_index == 2);
  CHECK(e->reason == "example.org. is outside the zone example.net.");
  auto e2 = zonefile::validate_zone(zone({kSoa, kNs, "xexample.net. 60 A 192.0.2.1"}));
  REQUIRE(e2);
  CHECK(e2->rr_index == 2);
}

TEST_CASE("check_add: the same rules, one owner at a time") {
  dns::Bytes origin = wire("example.net.");
  std::vector<dns::Rr> at_www{rr("www.example.net. 60 A 192.0.2.1")};
  CHECK(zonefile::check_add(origin, at_www, rr("www.example.net. 60 A 192.0.2.2")) ==
        std::nullopt);
  CHECK(zonefile::check_add(origin, at_www, rr("www.example.net. 30 A 192.0.2.1")) ==
        "www.example.net. A already exists");
  CHECK(zonefile::check_add(origin, at_www, rr("www.example.net. 60 CNAME a.example.net."))
            ->find("CNAME and other data") != std::string::npos);
  std::vector<dns::Rr> at_cname{rr("c.example.net. 60 CNAME a.example.net.")};
  CHECK(zonefile::check_add(origin, at_cname, rr("c.example.net. 60 TXT \"x\"")).has_value());
  CHECK(zonefile::check_add(origin, at_cname, rr("c.example.net. 60 CNAME b.example.net.")) ==
        "c.example.net. already has a CNAME");
  CHECK(zonefile::check_add(origin, {}, rr("a.example.org. 60 A 192.0.2.1")) ==
        "a.example.org. is outside the zone example.net.");
  CHECK(zonefile::check_add(origin, {}, rr("a.example.net. 60 SOA a. b. 1 2 3 4 5"))
            ->find("not at the apex") != std::string::npos);
  // Names in rdata compare without case (RFC 4343).
  std::vector<dns::Rr> at_apex{rr(kNs)};
  CHECK(zonefile::check_add(origin, at_apex, rr("example.net. 60 NS NS1.Example.NET.")) ==
        "example.net. NS already exists");
}

TEST_CASE("check_remove: the apex SOA and the last apex NS stay") {
  dns::Bytes origin = wire("example.net.");
  dns::Rr soa = rr(kSoa), ns1 = rr(kNs), ns2 = rr("example.net. 60 NS ns2.example.net.");
  std::vector<dns::Rr> apex{soa, ns1, ns2};
  CHECK(zonefile::check_remove(origin, apex, {soa}).has_value());
  CHECK(zonefile::check_remove(origin, apex, {ns1}) == std::nullopt);
  CHECK(zonefile::check_remove(origin, apex, {ns1, ns2}) ==
        "the last NS record at the apex cannot be removed");
  std::vector<dns::Rr> sub{rr("sub.example.net. 60 NS ns.other.")};
  CHECK(zonefile::check_remove(origin, sub, sub) == std::nullopt);  // delegations may go
}
