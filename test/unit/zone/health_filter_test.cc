// Answer selection under health: tiers, pools, SRV through targets, all-down open/closed.
#include "zone/health_filter.h"

#include <doctest/doctest.h>

#include <set>

#include "answer_fixture.h"

using namespace fodns;

namespace {

const char* kZone = R"(
example.net. 3600 IN SOA ns1.example.net. h.example.net. 1 3600 600 86400 30
example.net. 300 IN NS ns1.example.net.
ns1.example.net. 300 IN A 192.0.2.1
sip.example.net. 300 IN A 192.0.2.11
sip.example.net. 300 IN A 192.0.2.12
sip.example.net. 300 IN A 192.0.2.13
sip1.example.net. 300 IN A 192.0.2.11
sip2.example.net. 300 IN A 192.0.2.12
_sip._udp.example.net. 300 IN SRV 10 50 5060 sip1.example.net.
_sip._udp.example.net. 300 IN SRV 20 50 5060 sip2.example.net.
plain.example.net. 300 IN A 192.0.2.99
)";

// Backends 1, 2, 3 govern sip A records .11 (prio 0), .12 (prio 0), .13 (prio 10);
// sip1/sip2 A records are governed by 1 and 2.
dns::ZoneContent governed_zone() {
  auto z = test::zone_from_text("example.net.", kZone);
  for (auto& rr : z.rrs) {
    std::string t = dns::rr_to_text(rr);
    if (t.find("sip.example.net.") == 0) {
      if (t.find(".11") != std::string::npos) rr.backend_id = 1;
      if (t.find(".12") != std::string::npos) rr.backend_id = 2;
      if (t.find(".13") != std::string::npos) { rr.backend_id = 3; rr.priority = 10; }
    }
    if (t.find("sip1.example.net.\t") == 0) rr.backend_id = 1;
    if (t.find("sip2.example.net.\t") == 0) rr.backend_id = 2;
  }
  return z;
}

std::set<std::string> served(const dns::ZoneContent& z, const std::string& owner, uint16_t type) {
  std::set<std::string> out;
  auto o = *dns::name_from_text(owner);
  for (const auto& rr : z.rrs)
    if (rr.owner == o && rr.type == type) out.insert(dns::rr_to_text(rr));
  return out;
}

zone::BackendServing up(std::set<int64_t> down) {
  return [down](int64_t id) { return !down.count(id); };
}

}  // namespace

TEST_CASE("all healthy: the best tier is served as a pool, with the governed TTL") {
  auto z = zone::apply_health(governed_zone(), up({}));
  auto s = served(z, "sip.example.net.", 1);
  CHECK(s == std::set<std::string>{"sip.example.net.\t20\tIN\tA\t192.0.2.11",
                                   "sip.example.net.\t20\tIN\tA\t192.0.2.12"});
  CHECK(served(z, "plain.example.net.", 1).begin()->find("\t300\t") != std::string::npos);
}

TEST_CASE("one pool member down: the other stays; the whole tier down: the backup tier") {
  auto z = zone::apply_health(governed_zone(), up({1}));
  CHECK(served(z, "sip.example.net.", 1).size() == 1);
  CHECK(served(z, "sip.example.net.", 1).begin()->find("192.0.2.12") != std::string::npos);
  auto backup = zone::apply_health(governed_zone(), up({1, 2}));
  CHECK(served(backup, "sip.example.net.", 1) ==
        std::set<std::string>{"sip.example.net.\t20\tIN\tA\t192.0.2.13"});
}

TEST_CASE("everything down: open serves all, closed serves none") {
  auto open = zone::apply_health(governed_zone(), up({1, 2, 3}));
  CHECK(served(open, "sip.example.net.", 1).size() == 3);
  auto zc = governed_zone();
  zc.policies.push_back({*dns::name_from_text("sip.example.net."), 1, true, 0});
  auto closed = zone::apply_health(zc, up({1, 2, 3}));
  CHECK(served(closed, "sip.example.net.", 1).empty());
  // the name still exists: NODATA, not NXDOMAIN
  auto r = test::ask(*test::build({closed}), "sip.example.net.", "A");
  CHECK(r.rcode() == 0);
  CHECK(r.authority().size() == 1);
}

TEST_CASE("SRV is governed through its target's addresses") {
  auto z = zone::apply_health(governed_zone(), up({1}));
  auto srv = served(z, "_sip._udp.example.net.", 33);
  REQUIRE(srv.size() == 1);
  CHECK(srv.begin()->find("sip2.example.net.") != std::string::npos);
  CHECK(srv.begin()->find("\t20\t") != std::string::npos);
  // and the snapshot leaves the dead target out of the additional section
  auto snap = test::build({z});
  auto r = test::ask(*snap, "_sip._udp.example.net.", "SRV");
  for (const auto& a : r.additional()) CHECK(a.find("192.0.2.11") == std::string::npos);
  auto all_down = zone::apply_health(governed_zone(), up({1, 2}));
  CHECK(served(all_down, "_sip._udp.example.net.", 33).size() == 2);  // fail open
}

TEST_CASE("a policy TTL is used as given") {
  auto zc = governed_zone();
  zc.policies.push_back({*dns::name_from_text("sip.example.net."), 1, false, 5});
  auto z = zone::apply_health(zc, up({}));
  for (const auto& s : served(z, "sip.example.net.", 1)) CHECK(s.find("\t5\tIN") != std::string::npos);
}
