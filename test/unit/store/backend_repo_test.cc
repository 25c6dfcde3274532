// The backend repository's CLI-side edits on :memory:: insert/update/drain/delete,
// usage and governed counts, ungoverning, record governance and rrset_policy upserts.
#include <doctest/doctest.h>

#include "store/backend_repo.h"
#include "store/zone_repo.h"
#include "zonefile/zone_file.h"

using namespace fodns;

namespace {
void add_zone(store::Db& db, const char* origin) {
  auto text = fmt::format("$ORIGIN {}\n@ 60 SOA ns1 h 1 2 3 4 5\n@ 60 NS ns1\nns1 60 A 192.0.2.1\n"
                          "sip 30 A 192.0.2.10\nsip 30 A 192.0.2.11\n", origin);
  store::store_zone(db, zonefile::parse_zone_text(text, "t").value().content, 0);
}

int64_t record_id(store::Db& db, const char* owner, const char* rdata_hex) {
  auto st = db.prepare(fmt::format("SELECT id FROM records WHERE owner = ?1 AND rdata = x'{}'", rdata_hex));
  st.bind(1, std::string_view(owner));
  REQUIRE(st.step());
  return st.int64(0);
}
}  // namespace

TEST_CASE("backend_repo: insert, update, drain, delete round-trip") {
  store::Db db(":memory:");
  store::Backend b;
  b.name = "sip1";
  b.address = "192.0.2.10";
  b.sip_uri = "sip:ping@192.0.2.10";
  b.alive_codes = "200";
  int64_t id = store::insert_backend(db, b, 1000);
  CHECK(id > 0);
  auto got = store::find_backend(db, "sip1").value();
  CHECK(got.id == id);
  CHECK(got.sip_uri == "sip:ping@192.0.2.10");
  CHECK(got.alive_codes == "200");
  CHECK(got.interval_ms == 1000);
  CHECK_THROWS_AS(store::insert_backend(db, b, 1000), store::StoreError);  // UNIQUE name

  got.port = 5070;
  got.sip_uri.clear();
  got.timeout_ms = 500;
  store::update_backend(db, got, 1001);
  auto again = store::find_backend(db, "sip1").value();
  CHECK(again.port == 5070);
  CHECK(again.sip_uri.empty());
  CHECK(again.timeout_ms == 500);
  CHECK(db.prepare("SELECT sip_uri IS NULL FROM backends").step());

  store::set_backend_drained(db, id, true, "maintenance", 1002);
  CHECK(store::find_backend(db, "sip1")->drained);
  CHECK(store::find_backend(db, "sip1")->drain_reason == "maintenance");
  CHECK_FALSE(store::last_drain_ms(db, id).has_value());
  store::insert_event(db, 5000, id, "sip1", "up", "drained", "drained by operator");
  store::insert_event(db, 7000, id, "sip1", "drained", "up", "resumed by operator");
  CHECK(store::last_drain_ms(db, id) == 5000);
  store::set_backend_drained(db, id, false, "", 1003);
  CHECK(store::find_backend(db, "sip1")->drain_reason.empty());

  CHECK_FALSE(store::load_backend_state(db, id).has_value());
  store::BackendState s;
  s.backend_id = id;
  s.state = "down";
  s.since_ms = 42;
  store::save_backend_state(db, s);
  CHECK(store::load_backend_state(db, id)->state == "down");

  store::delete_backend(db, id);
  CHECK_FALSE(store::find_backend(db, "sip1").has_value());
  CHECK(store::load_backend_states(db).empty());  // cascade
  auto events = store::recent_events(db, 10);
  REQUIRE(events.size() == 2);                    // history kept, by name
  CHECK(events[0].backend == "sip1");
}

TEST_CASE("backend_repo: usage, governed records, ungovern") {
  store::Db db(":memory:");
  add_zone(db, "example.net.");
  add_zone(db, "example.org.");
  store::Backend b;
  b.name = "sip1";
  b.address = "192.0.2.10";
  int64_t id = store::insert_backend(db, b, 0);
  CHECK(store::backend_usage(db, id).empty());
  store::set_record_backend(db, record_id(db, "sip.example.net.", "c000020a"), id, 1);
  store::set_record_backend(db, record_id(db, "sip.example.net.", "c000020b"), id, 2);
  store::set_record_backend(db, record_id(db, "sip.example.org.", "c000020a"), id, 0);

  auto uses = store::backend_usage(db, id);
  REQUIRE(uses.size() == 2);
  CHECK(uses[0].zone == "example.net.");
  CHECK(uses[0].records == 2);
  CHECK(uses[1].zone == "example.org.");
  CHECK(uses[1].records == 1);
  CHECK(store::governed_counts(db).at(id) == 3);

  auto net = store::find_zone(db, "example.net.").value();
  auto g = store::governed_records(db, net.id);
  REQUIRE(g.size() == 2);
  CHECK(g[0].owner == "sip.example.net.");
  CHECK(g[0].type == 1);
  CHECK(g[0].backend == "sip1");
  CHECK(g[0].priority == 1);
  CHECK(g[1].priority == 2);
  CHECK(g[0].rdata == std::vector<uint8_t>{192, 0, 2, 10});

  // A governed backend cannot be deleted (foreign key) until its records are ungoverned.
  CHECK_THROWS_AS(store::delete_backend(db, id), store::StoreError);
  CHECK(store::ungovern_records(db, id) == 3);
  CHECK(store::governed_counts(db).empty());
  store::delete_backend(db, id);

  uint32_t before = net.serial;
  CHECK(store::bump_zone_serial(db, net.id, 1) == before + 1);
}

TEST_CASE("backend_repo: rrset_policy upsert") {
  store::Db db(":memory:");
  add_zone(db, "example.net.");
  auto zone = store::find_zone(db, "example.net.").value();
  CHECK_FALSE(store::find_rrset_policy(db, zone.id, "sip.example.net.", 1).has_value());
  store::RrsetPolicyRow p;
  p.all_down = "closed";
  store::upsert_rrset_policy(db, zone.id, "sip.example.net.", 1, p);
  auto got = store::find_rrset_policy(db, zone.id, "sip.example.net.", 1).value();
  CHECK(got.all_down == "closed");
  CHECK_FALSE(got.ttl.has_value());
  got.ttl = 15;
  store::upsert_rrset_policy(db, zone.id, "sip.example.net.", 1, got);
  got = store::find_rrset_policy(db, zone.id, "sip.example.net.", 1).value();
  CHECK(got.ttl == 15u);
  CHECK(got.all_down == "closed");
  auto zones = store::load_all_zones(db);
  REQUIRE(zones[0].policies.size() == 1);
  CHECK(zones[0].policies[0].ttl == 15u);
  p.all_down = "half";
  CHECK_THROWS_AS(store::upsert_rrset_policy(db, zone.id, "sip.example.net.", 1, p), store::StoreError);
}
