// The change index (schema/005_changes.sql, store/zone_changes.h) on :memory::
// every kind of edit marks exactly the zone it touched, in the edit's transaction;
// take_changed_zones lists each change once and opens a new epoch; the server's own
// serial writes are not changes; deleted zones are reported and then compacted away;
// load_zone_by_id reads a zone as load_all_zones does.
#include <doctest/doctest.h>

#include <algorithm>

#include "dns/wire.h"
#include "store/backend_repo.h"
#include "store/serial_reservation.h"
#include "store/transfer_repo.h"
#include "store/zone_changes.h"
#include "store/zone_repo.h"
#include "zonefile/zone_file.h"

using namespace fodns;

namespace {
int64_t add_zone(store::Db& db, const std::string& origin) {
  auto text = fmt::format("$ORIGIN {}\n@ 60 SOA ns1 h 1 2 3 4 5\n@ 60 NS ns1\nns1 60 A 192.0.2.1\n"
                          "sip 30 A 192.0.2.10\n", origin);
  store::store_zone(db, zonefile::parse_zone_text(text, "t").value().content, 0);
  return store::find_zone(db, origin)->id;
}
dns::Rr a_record(const std::string& owner) {
  dns::Rr rr;
  rr.owner = dns::name_from_text(owner).value();
  rr.type = dns::type::kA;
  rr.ttl = 60;
  rr.rdata = {192, 0, 2, 99};
  return rr;
}
}  // namespace

TEST_CASE("zone_changes: each edit marks its zone once; a new epoch separates later edits") {
  store::Db db(":memory:");
  int64_t a = add_zone(db, "a.example.");
  int64_t b = add_zone(db, "b.example.");
  int64_t c = add_zone(db, "c.example.");
  int64_t since = store::open_change_epoch(db);
  auto first = store::take_changed_zones(db, since);
  CHECK(first.zone_ids == std::vector<int64_t>{a, b, c});  // created in this epoch
  CHECK(first.next_since == since + 1);
  CHECK(store::take_changed_zones(db, first.next_since).zone_ids.empty());

  store::insert_record(db, b, a_record("x.b.example."));
  auto second = store::take_changed_zones(db, first.next_since);
  CHECK(second.zone_ids == std::vector<int64_t>{b});

  // A record moved between zones (raw SQL) marks both; a policy marks its zone.
  db.exec(fmt::format("UPDATE records SET zone_id = {} WHERE owner = 'x.b.example.'", c).c_str());
  store::upsert_rrset_policy(db, a, "sip.a.example.", dns::type::kA, {});
  auto third = store::take_changed_zones(db, second.next_since);
  CHECK(third.zone_ids == std::vector<int64_t>{a, b, c});

  // A serial set by the CLI is a change; the server's own serial write is not.
  store::set_zone_serial(db, a, 7, 0);
  auto fourth = store::take_changed_zones(db, third.next_since);
  CHECK(fourth.zone_ids == std::vector<int64_t>{a});
  store::write_served_serial(db, b, 9, 9 + 256, 0);
  CHECK(store::take_changed_zones(db, fourth.next_since).zone_ids.empty());
  CHECK(store::find_zone(db, "b.example.")->serial == 9);
}

TEST_CASE("zone_changes: a deleted zone is reported, then its mark is compacted away") {
  store::Db db(":memory:");
  int64_t a = add_zone(db, "a.example.");
  add_zone(db, "b.example.");
  auto s0 = store::take_changed_zones(db, store::open_change_epoch(db));
  CHECK(store::delete_zone(db, "a.example."));
  auto s1 = store::take_changed_zones(db, s0.next_since);
  CHECK(s1.zone_ids == std::vector<int64_t>{a});
  CHECK_FALSE(store::load_zone_by_id(db, a).has_value());
  (void)store::take_changed_zones(db, s1.next_since, {a});
  auto left = db.prepare("SELECT COUNT(*) FROM zone_changes WHERE zone_id = ?1");
  left.bind(1, a);
  left.step();
  CHECK(left.int64(0) == 0);
  auto rows = db.prepare("SELECT COUNT(*) FROM zone_changes");
  rows.step();
  CHECK(rows.int64(0) == 1);  // one row per existing zone at most: the index stays small
}

TEST_CASE("zone_changes: a big import marks its zone once, not once per record") {
  store::Db db(":memory:");
  std::string text = "$ORIGIN big.example.\n@ 60 SOA ns1 h 1 2 3 4 5\n@ 60 NS ns1\n";
  for (int i = 0; i < 5000; ++i) text += fmt::format("h{} 60 A 192.0.2.{}\n", i, i % 250);
  store::store_zone(db, zonefile::parse_zone_text(text, "t").value().content, 0);
  auto rows = db.prepare("SELECT COUNT(*) FROM zone_changes");
  rows.step();
  CHECK(rows.int64(0) == 1);
  CHECK(store::open_change_epoch(db) == 1);  // only the server opens epochs
}

TEST_CASE("transfer_repo: load_transfer_configs_in_use skips zones without settings") {
  store::Db db(":memory:");
  add_zone(db, "a.example.");
  int64_t b = add_zone(db, "b.example.");
  add_zone(db, "c.example.");
  store::replace_notify(db, b, {{"192.0.2.54", 53}});
  auto used = store::load_transfer_configs_in_use(db);
  REQUIRE(used.size() == 1);
  CHECK(used[0].zone_id == b);
  CHECK(used[0].notify.size() == 1);
  CHECK(store::load_all_transfer_configs(db).size() == 3);
}

TEST_CASE("zone_changes: load_zone_by_id reads what load_all_zones reads") {
  store::Db db(":memory:");
  add_zone(db, "a.example.");
  int64_t b = add_zone(db, "b.example.");
  store::Backend be;
  be.name = "pbx";
  be.address = "192.0.2.10";
  int64_t bid = store::insert_backend(db, be, 0);
  db.exec(fmt::format("UPDATE records SET backend_id = {}, priority = 5 WHERE owner = 'sip.b.example.'", bid).c_str());
  store::upsert_rrset_policy(db, b, "sip.b.example.", dns::type::kA, {"closed", 15});
  store::set_zone_serial(db, b, 42, 0);
  auto all = store::load_all_zones(db);
  auto it = std::find_if(all.begin(), all.end(), [b](const dns::ZoneContent& z) { return z.zone_id == b; });
  REQUIRE(it != all.end());
  auto one = store::load_zone_by_id(db, b).value();
  CHECK(one.origin == it->origin);
  CHECK(one.serial == 42);
  REQUIRE(one.rrs.size() == it->rrs.size());
  for (size_t i = 0; i < one.rrs.size(); ++i) {
    CHECK(one.rrs[i].owner == it->rrs[i].owner);
    CHECK(one.rrs[i].type == it->rrs[i].type);
    CHECK(one.rrs[i].rdata == it->rrs[i].rdata);  // the SOA carries serial 42 in both
    CHECK(one.rrs[i].backend_id == it->rrs[i].backend_id);
    CHECK(one.rrs[i].priority == it->rrs[i].priority);
  }
  REQUIRE(one.policies.size() == 1);
  CHECK(one.policies[0].all_down_closed);
  CHECK(one.policies[0].ttl == 15);
}
