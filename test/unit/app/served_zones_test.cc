// ServedZones: the incrementally maintained snapshot answers exactly as a
// from-scratch compile does, after any sequence of flips, drains and policy
// changes; a flip recompiles only the zones that depend on the backend (in any
// zone: cross-zone SRV) and shares every other compiled zone by pointer.
#include "app/served_zones.h"

#include <doctest/doctest.h>

#include <map>
#include <random>
#include <set>

#include "../zone/answer_fixture.h"
#include "zone/health_filter.h"
#include "zone/snapshot_builder.h"
#include "dns/wire.h"

using namespace fodns;

namespace {

struct World {
  std::vector<dns::ZoneContent> zones;
  std::vector<std::string> names;  // every name a test asks for
};

void add(dns::ZoneContent& z, const std::string& origin, const std::string& text,
         int64_t backend = 0, int priority = 0) {
  auto rr = dns::rr_from_text(text, origin);
  REQUIRE_MESSAGE(rr.ok(), text);
  rr->backend_id = backend;
  rr->priority = priority;
  z.rrs.push_back(*rr);
}

// A few zones that point at each other: governed A/AAAA pools and tiers,
// SRV to hosts of any zone, NAPTR -> SRV -> A chains, CNAME chains (in and out
// of zone), MX, a governed wildcard, a delegation with glue, policies.
World random_world(std::mt19937& rng, int backends) {
  const std::vector<std::string> origins = {"prov.test.", "t1.test.", "t2.test.", "t3.test."};
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  auto chance = [&](int pct) { return pick(100) < pct; };
  auto host = [&](const std::string& in_zone) {
    // Mostly the provider's hosts, as tenant zones do; sometimes their own.
    const std::string& o = chance(60) ? origins[0] : chance(50) ? in_zone : origins[pick(4)];
    return "h" + std::to_string(pick(5)) + "." + o;
  };
  auto gov = [&]() -> int64_t { return chance(65) ? 1 + pick(backends) : 0; };
  World w;
  int addr = 1;
  for (const auto& o : origins) {
    dns::ZoneContent z;
    z.origin = *dns::name_from_text(o);
    z.serial = 1;
    add(z, o, o + " 3600 IN SOA ns1." + o + " h." + o + " 1 3600 600 86400 30");
    add(z, o, o + " 300 IN NS ns1." + o);
    add(z, o, "ns1." + o + " 300 IN A 192.0.2.1");
    for (int h = 0; h < 5; ++h) {
      std::string n = "h" + std::to_string(h) + "." + o;
      int count = 1 + pick(3);
      for (int i = 0; i < count; ++i)
        add(z, o, n + " 300 IN A 10.0." + std::to_string(addr / 250) + "." + std::to_string(addr % 250 + 1),
            gov(), chance(30) ? 10 : 0), ++addr;
      if (chance(40)) add(z, o, n + " 300 IN AAAA 2001:db8::" + std::to_string(addr++), gov());
      w.names.push_back(n);
    }
    for (std::string srv : {"_sip._udp.", "_sip._tcp."}) {
      int count = 1 + pick(3);
      for (int i = 0; i < count; ++i)
        add(z, o, srv + o + " 300 IN SRV " + std::to_string(10 * (1 + pick(2))) + " 50 5060 " + host(o));
      w.names.push_back(srv + o);
    }
    // Sometimes nothing at the apex follows health: only the SOA makes it dynamic.
    std::string at = chance(70) ? o : "sip." + o;
    add(z, o, at + " 300 IN NAPTR 10 50 \"s\" \"SIP+D2U\" \"\" _sip._udp." + o);
    if (chance(50)) add(z, o, at + " 300 IN NAPTR 20 50 \"s\" \"SIP+D2T\" \"\" _sip._tcp." + origins[pick(4)]);
    add(z, o, (chance(60) ? o : "mail." + o) + " 300 IN MX 10 " + host(o));
    add(z, o, "mx2." + o + " 300 IN MX 10 h" + std::to_string(pick(5)) + "." + o);
    add(z, o, "c0." + o + " 300 IN CNAME " + host(o));
    add(z, o, "c1." + o + " 300 IN CNAME _sip._udp." + o);
    add(z, o, "c2." + o + " 300 IN CNAME c0." + o);
    add(z, o, "c3." + o + " 300 IN CNAME nothere." + o);
    add(z, o, "*.w." + o + " 300 IN A 10.9.9." + std::to_string(1 + pick(200)), gov());
    add(z, o, "*.w." + o + " 300 IN A 10.9.8." + std::to_string(1 + pick(200)), gov(), 10);
    add(z, o, "sub." + o + " 300 IN NS ns.sub." + o);
    add(z, o, "ns.sub." + o + " 300 IN A 192.0.2.53", chance(50) ? gov() : 0);  // governed glue
    add(z, o, "x.sub." + o + " 300 IN A 192.0.2.54", gov());                      // occluded
    add(z, o, "c4." + o + " 300 IN CNAME deep.sub." + o);
    add(z, o, "c5." + o + " 300 IN CNAME foo.w." + o);
    add(z, o, "c6." + o + " 300 IN CNAME mx2." + o);
    add(z, o, "c7." + o + " 300 IN CNAME ent." + o);  // an empty non-terminal: NODATA, not NXDOMAIN
    add(z, o, "leaf.ent." + o + " 300 IN TXT \"below\"");
    add(z, o, "txt." + o + " 300 IN TXT \"hello\"");
    for (const char* n : {"", "c0.", "c1.", "c2.", "c3.", "c4.", "c5.", "c6.", "c7.", "ent.", "x.w.", "w.", "sub.",
                          "deep.sub.", "ns.sub.", "x.sub.", "nx.", "txt.", "ns1.", "sip.", "mail.", "mx2."})
      w.names.push_back(n + o);
    w.zones.push_back(std::move(z));
  }
  return w;
}

void random_policies(std::mt19937& rng, World& w) {
  for (auto& z : w.zones) {
    z.policies.clear();
    std::set<std::pair<dns::Bytes, uint16_t>> governed;
    for (const auto& rr : z.rrs)
      if (rr.backend_id) governed.insert({rr.owner, rr.type});
    for (const auto& [owner, type] : governed) {
      if (rng() % 2) continue;
      dns::RrsetPolicy p;
      p.owner = owner;
      p.type = type;
      p.all_down_closed = rng() % 2;
      p.ttl = rng() % 3 == 0 ? 5 : 0;
      z.policies.push_back(p);
    }
  }
}

std::vector<uint8_t> respond_raw(const zone::ZoneSnapshot& snap, const std::string& name,
                                 const std::string& type) {
  std::vector<uint8_t> wire = test::query_wire(name, type, {.tcp = true});
  dns::Query q;
  auto parsed = dns::parse_query(wire.data(), wire.size(), q);
  static std::vector<uint8_t> out(65535);
  zone::ResponseInfo info;
  size_t size = zone::respond(q, parsed, &snap, true, out.data(), &info);
  return std::vector<uint8_t>(out.begin(), out.begin() + static_cast<long>(size));
}

// The reference: every zone's health applied to all its records and compiled whole,
// as the control loop did before zones were served as base + overlay.
zone::SnapshotPtr from_scratch(const World& w, const zone::BackendServing& serving) {
  std::map<dns::Bytes, zone::TargetCount> addresses;
  for (const auto& z : w.zones)
    for (const auto& rr : z.rrs)
      if (rr.backend_id && (rr.type == dns::type::kA || rr.type == dns::type::kAaaa)) {
        ++addresses[rr.owner].governed;
        addresses[rr.owner].serving += serving(rr.backend_id);
      }
  zone::TargetHealth elsewhere = [&](const dns::Bytes& n) {
    auto it = addresses.find(n);
    return it == addresses.end() ? zone::TargetCount{} : it->second;
  };
  std::vector<dns::ZoneContent> served;
  for (const auto& z : w.zones) served.push_back(zone::apply_health(z, serving, elsewhere));
  auto snap = zone::SnapshotBuilder::build(served, 1);
  REQUIRE(snap.ok());
  return *snap;
}

const char* const kTypes[] = {"A", "AAAA", "SRV", "NAPTR", "CNAME", "MX", "TXT", "SOA", "NS", "ANY"};

// Number of (name, type) pairs answered differently.
int differences(const World& w, const zone::ZoneSnapshot& a, const zone::ZoneSnapshot& b,
                std::string* first) {
  int n = 0;
  for (const auto& name : w.names)
    for (const char* type : kTypes)
      if (respond_raw(a, name, type) != respond_raw(b, name, type)) {
        if (n++ == 0) *first = name + " " + type;
      }
  return n;
}

}  // namespace

TEST_CASE("served zones: incremental snapshot answers as a from-scratch compile after random health changes") {
  constexpr int kBackends = 6;
  for (uint32_t seed = 1; seed <= 12; ++seed) {
    CAPTURE(seed);
    std::mt19937 rng(seed);
    World w = random_world(rng, kBackends);
    random_policies(rng, w);
    std::map<int64_t, bool> up;
    for (int b = 1; b <= kBackends; ++b) up[b] = true;
    zone::BackendServing serving = [&](int64_t id) { return up[id]; };

    app::ServedZones inc;
    uint32_t last_serial = 100;
    REQUIRE(inc.load(w.zones, {}).ok());
    auto first = inc.plan(serving);
    auto snap = inc.commit(first, 1);
    REQUIRE(snap.ok());
    for (int step = 0; step < 25; ++step) {
      CAPTURE(step);
      int action = static_cast<int>(rng() % 10);
      if (action < 6) {
        up[1 + static_cast<int>(rng() % kBackends)] ^= true;  // a flip, or a drain/undrain
      } else if (action < 8) {
        for (int b = 1; b <= kBackends; ++b) up[b] = rng() % 3 != 0;  // several at once
      } else if (action < 9) {
        random_policies(rng, w);  // an edit: the control loop reloads
        REQUIRE(inc.load(w.zones, {}).ok());
      }  // else: nothing changed
      auto changes = inc.plan(serving);
      // The serial policy: a zone whose answers changed gets a new serial (and SOA).
      for (auto& c : changes) {
        if (c.first) continue;
        uint32_t serial = ++last_serial;
        inc.set_serial(c, serial);
        auto& z = w.zones[c.slot];
        z.serial = serial;
        for (auto& rr : z.rrs)
          if (rr.type == dns::type::kSoa) dns::soa_set_serial(rr.rdata, serial);
      }
      snap = inc.commit(changes, static_cast<uint64_t>(step + 2));
      REQUIRE(snap.ok());
      auto scratch = from_scratch(w, serving);
      std::string where;
      CHECK_MESSAGE(differences(w, **snap, *scratch, &where) == 0, "first difference: " << where);
    }
  }
}

TEST_CASE("served zones: a flip recompiles only dependent zones, cross-zone SRV included") {
  const std::string prov = R"(
prov.test. 3600 IN SOA ns1.prov.test. h.prov.test. 1 3600 600 86400 30
prov.test. 300 IN NS ns1.prov.test.
ns1.prov.test. 300 IN A 192.0.2.1
proxy1.prov.test. 300 IN A 10.0.0.1
proxy2.prov.test. 300 IN A 10.0.0.2
)";
  const std::string tenant = R"(
tenant.test. 3600 IN SOA ns1.tenant.test. h.tenant.test. 1 3600 600 86400 30
tenant.test. 300 IN NS ns1.tenant.test.
ns1.tenant.test. 300 IN A 192.0.2.1
_sip._udp.tenant.test. 300 IN SRV 10 50 5060 proxy1.prov.test.
_sip._udp.tenant.test. 300 IN SRV 10 50 5060 proxy2.prov.test.
)";
  const std::string other = R"(
other.test. 3600 IN SOA ns1.other.test. h.other.test. 1 3600 600 86400 30
other.test. 300 IN NS ns1.other.test.
ns1.other.test. 300 IN A 192.0.2.1
)";
  std::vector<dns::ZoneContent> zones = {test::zone_from_text("prov.test.", prov),
                                         test::zone_from_text("tenant.test.", tenant),
                                         test::zone_from_text("other.test.", other)};
  for (auto& rr : zones[0].rrs) {
    std::string t = dns::rr_to_text(rr);
    if (t.find("proxy1.") == 0) rr.backend_id = 1;
    if (t.find("proxy2.") == 0) rr.backend_id = 2;
  }
  std::map<int64_t, bool> up = {{1, true}, {2, true}};
  zone::BackendServing serving = [&](int64_t id) { return up[id]; };
  app::ServedZones s;
  REQUIRE(s.load(zones, {}).ok());
  CHECK(s.slots()[1].governed);   // the tenant: its SRV targets are governed elsewhere
  CHECK_FALSE(s.slots()[2].governed);
  CHECK(s.dependents_of(1) == 2);
  auto changes = s.plan(serving);
  auto before = s.commit(changes, 1);
  REQUIRE(before.ok());
  CHECK(test::ask(**before, "_sip._udp.tenant.test.", "SRV").answer().size() == 2);

  up[1] = false;
  changes = s.plan(serving);
  std::set<size_t> touched;
  for (const auto& c : changes) touched.insert(c.slot);
  // prov.test serves proxy1 still (its only member: all-down open), so only the tenant changes.
  CHECK(touched == std::set<size_t>{1});
  auto after = s.commit(changes, 2);
  REQUIRE(after.ok());
  auto srv = test::ask(**after, "_sip._udp.tenant.test.", "SRV").answer();
  REQUIRE(srv.size() == 1);
  CHECK(srv[0].find("proxy2.prov.test.") != std::string::npos);
  CHECK(test::ask(**after, "proxy1.prov.test.", "A").answer().size() == 1);  // all-down open
  // The untouched zone is shared by pointer, not recompiled.
  CHECK((*after)->zone_ptr(2) == (*before)->zone_ptr(2));
  CHECK((*after)->zone_ptr(0) == (*before)->zone_ptr(0));
  // The tenant keeps its base; only its overlay (the SRV node and the SOA) is new.
  CHECK((*after)->zone_ptr(1) == (*before)->zone_ptr(1));
  REQUIRE((*after)->overlay_ptr(1) != nullptr);
  CHECK((*after)->overlay_ptr(1) != (*before)->overlay_ptr(1));

  // Nothing moved: nothing is looked at again.
  CHECK(s.plan(serving).empty());
  up[1] = true;
  changes = s.plan(serving);
  CHECK(changes.size() == 1);
  auto back = s.commit(changes, 3);
  REQUIRE(back.ok());
  CHECK(test::ask(**back, "_sip._udp.tenant.test.", "SRV").answer().size() == 2);
}

TEST_CASE("served zones: set_serial moves the served SOA and the stored content") {
  std::vector<dns::ZoneContent> zones = {test::zone_from_text("a.test.", R"(
a.test. 3600 IN SOA ns1.a.test. h.a.test. 7 3600 600 86400 30
a.test. 300 IN NS ns1.a.test.
ns1.a.test. 300 IN A 192.0.2.1
)")};
  zones[0].rrs.back().backend_id = 3;
  app::ServedZones s;
  REQUIRE(s.load(zones, {}).ok());
  auto changes = s.plan([](int64_t) { return true; });
  REQUIRE(changes.size() == 1);
  CHECK(changes[0].first);
  s.set_serial(changes[0], 42);
  auto snap = s.commit(changes, 1);
  REQUIRE(snap.ok());
  CHECK(s.slots()[0].serial == 42);
  CHECK(s.slots()[0].content.serial == 42);
  auto soa = test::ask(**snap, "a.test.", "SOA").answer();
  REQUIRE(soa.size() == 1);
  CHECK(soa[0].find(" 42 ") != std::string::npos);
}
