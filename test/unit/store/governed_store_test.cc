// Governed records in the store: backend and priority round-trip, survive a
// `zone import --replace` of the same data, and policies load with the zone.
#include <doctest/doctest.h>

#include "store/backend_repo.h"
#include "store/zone_repo.h"
#include "zonefile/zone_file.h"

using namespace fodns;

namespace {
dns::ZoneContent example() {
  return zonefile::parse_zone_text(
             "$ORIGIN example.net.\n@ 60 SOA ns1 h 1 2 3 4 5\n@ 60 NS ns1\nns1 60 A 192.0.2.1\n"
             "sip 30 A 192.0.2.10\nsip 30 A 192.0.2.11\n",
             "t")
      .value()
      .content;
}
int64_t add_backend(store::Db& db, const char* name, const char* addr) {
  auto st = db.prepare(
      "INSERT INTO backends (name, address, probe, created_at, updated_at) VALUES (?1, ?2, 'sip-options', 0, 0)");
  st.bind(1, std::string_view(name)).bind(2, std::string_view(addr)).run();
  return db.last_insert_id();
}
}  // namespace

TEST_CASE("schema 2: backends, state, events and governed records") {
  store::Db db(":memory:");
  CHECK(db.schema_version() >= 2);  // later migrations add to it
  int64_t b1 = add_backend(db, "sip1", "192.0.2.10");
  store::store_zone(db, example(), 0);
  auto zone = store::find_zone(db, "example.net.").value();
  db.prepare("UPDATE records SET backend_id = ?1, priority = 5 WHERE rdata = x'c000020a'").bind(1, b1).run();
  db.prepare("INSERT INTO rrset_policy (zone_id, owner, type, all_down, ttl) VALUES (?1, 'sip.example.net.', 1, 'closed', 7)")
      .bind(1, zone.id)
      .run();

  auto zones = store::load_all_zones(db);
  REQUIRE(zones.size() == 1);
  int governed = 0;
  for (const auto& rr : zones[0].rrs) {
    if (rr.backend_id) {
      ++governed;
      CHECK(rr.backend_id == b1);
      CHECK(rr.priority == 5);
    }
  }
  CHECK(governed == 1);
  REQUIRE(zones[0].policies.size() == 1);
  CHECK(zones[0].policies[0].all_down_closed);
  CHECK(zones[0].policies[0].ttl == 7);

  SUBCASE("re-importing the same records keeps their governance") {
    store::store_zone(db, example(), 1);
    auto again = store::load_all_zones(db);
    int still = 0;
    for (const auto& rr : again[0].rrs) still += rr.backend_id == b1 && rr.priority == 5;
    CHECK(still == 1);
    CHECK(again[0].policies.size() == 1);
  }

  SUBCASE("state and events round-trip") {
    store::BackendState s;
    s.backend_id = b1;
    s.state = "down";
    s.since_ms = 1234;
    s.last_error = "timeout after 800 ms";
    s.failures = 3;
    store::save_backend_state(db, s);
    s.failures = 4;
    store::save_backend_state(db, s);  // upsert
    auto states = store::load_backend_states(db);
    REQUIRE(states.count(b1));
    CHECK(states[b1].state == "down");
    CHECK(states[b1].failures == 4);
    CHECK(states[b1].last_rtt_us == -1);
    store::insert_event(db, 1000, b1, "sip1", "up", "down", "3 consecutive failures");
    store::insert_event(db, 2000, b1, "sip1", "down", "up", "2 consecutive successes");
    auto ev = store::recent_events(db, 1);
    REQUIRE(ev.size() == 1);
    CHECK(ev[0].to_state == "up");
    CHECK(store::recent_events(db, 10).front().to_state == "down");
  }

  SUBCASE("bump_zone_serial moves forward by one") {
    CHECK(store::bump_zone_serial(db, zone.id, 5) == 2);
    CHECK(store::find_zone(db, "example.net.")->serial == 2);
  }
}
