// TransferKeeper with a base + overlay zone: a flip's journal step holds only what
// the flip changed, AXFR serves the base plus what health leaves of the rest, and a
// reload that changed the base under the same serial is seen (the caller must bump).
#include "app/transfer_keeper.h"

#include <doctest/doctest.h>

#include <fmt/format.h>

#include "dns/wire.h"
#include "store/zone_repo.h"
#include "zone/dependents.h"
#include "zone/health_filter.h"
#include "zonefile/zone_file.h"

using namespace fodns;

namespace {

constexpr const char* kOrigin = "keep.test.";

// 200 plain hosts and `gov` with one address per backend 1 and 2.
dns::ZoneContent zone_text(int64_t zone_id, uint32_t serial, const std::string& extra) {
  std::string text = fmt::format("$ORIGIN {}\n@ 60 SOA ns1 h {} 2 3 4 5\n@ 60 NS ns1\nns1 60 A 192.0.2.1\n",
                                 kOrigin, serial);
  for (int i = 0; i < 200; ++i) text += fmt::format("h{} 60 A 198.51.100.{}\n", i, i % 250);
  text += "gov 60 A 192.0.2.10\ngov 60 A 192.0.2.11\n" + extra;
  dns::ZoneContent z = zonefile::parse_zone_text(text, "t").value().content;
  z.zone_id = zone_id;
  z.serial = serial;
  for (auto& rr : z.rrs)
    if (dns::name_to_text(rr.owner) == std::string("gov.") + kOrigin)
      rr.backend_id = rr.rdata.back() == 10 ? 1 : 2;
  return z;
}

// What the overlay serves with backend 1 up or down, under `serial`.
dns::ZoneContent overlay(const dns::ZoneContent& kept, bool b1_up, uint32_t serial) {
  auto served = zone::apply_health(kept, [&](int64_t b) { return b != 1 || b1_up; }, {});
  served.serial = serial;
  for (auto& rr : served.rrs)
    if (rr.type == dns::type::kSoa) dns::soa_set_serial(rr.rdata, serial);
  return served;
}

const xfr::ZoneTransfer& transfer(app::TransferKeeper& k) {
  auto t = k.table();
  REQUIRE(t);
  REQUIRE(t->zones.size() == 1);
  return *t->zones[0];
}

}  // namespace

TEST_CASE("transfer keeper: a flip in a base + overlay zone journals only what it changed") {
  store::Db db(":memory:");
  int64_t id = 0;
  {
    dns::ZoneContent z = zone_text(0, 1, "");
    for (auto& rr : z.rrs) rr.backend_id = 0;  // the keeper reads no backends
    store::store_zone(db, z, 1);
    id = store::find_zone(db, kOrigin)->id;
    store::replace_acl(db, id, {{"127.0.0.1/32", ""}});
  }
  dns::ZoneContent whole = zone_text(id, 1, "");
  auto deps = zone::find_dependents(whole, [](const dns::Bytes&) { return false; });
  REQUIRE(deps.kept.rrs.size() < 10);  // the overlay part is small: what a flip looks at

  app::TransferKeeper keeper;
  keeper.load(db);
  keeper.rebase(id, &whole, &deps.kept);
  CHECK_FALSE(keeper.served(db, overlay(deps.kept, true, 1)));
  CHECK(transfer(keeper).rrs.count == whole.rrs.size() - 1);  // AXFR: every record but the SOA
  CHECK(transfer(keeper).journal.empty());

  // Backend 1 down: one address gone, nothing else.
  CHECK_FALSE(keeper.served(db, overlay(deps.kept, false, 2)));
  const auto& t = transfer(keeper);
  CHECK(t.rrs.count == whole.rrs.size() - 2);
  REQUIRE(t.journal.size() == 1);
  CHECK(t.journal[0]->removed.count == 2);  // the old SOA and gov A 192.0.2.10
  CHECK(t.journal[0]->added.count == 1);    // the new SOA
  CHECK(store::load_journal(db, id).size() == 1);

  // Same answers under the same serial: nothing to do.
  CHECK_FALSE(keeper.served(db, overlay(deps.kept, false, 2)));

  // A reload whose base changed under the same serial: the caller must bump it,
  // and the step to the new serial carries the base change too.
  dns::ZoneContent whole2 = zone_text(id, 2, "new 60 A 203.0.113.7\n");
  auto deps2 = zone::find_dependents(whole2, [](const dns::Bytes&) { return false; });
  keeper.rebase(id, &whole2, &deps2.kept);
  CHECK(keeper.served(db, overlay(deps2.kept, false, 2)));
  CHECK_FALSE(keeper.served(db, overlay(deps2.kept, false, 3)));
  const auto& t2 = transfer(keeper);
  CHECK(t2.rrs.count == whole2.rrs.size() - 2);
  REQUIRE(t2.journal.size() == 2);
  CHECK(t2.journal[1]->removed.count == 1);  // the old SOA
  CHECK(t2.journal[1]->added.count == 2);    // the new SOA and new A 203.0.113.7

  // Backend 1 back: the next step adds its address back, and only that.
  CHECK_FALSE(keeper.served(db, overlay(deps2.kept, true, 4)));
  const auto& t3 = transfer(keeper);
  CHECK(t3.rrs.count == whole2.rrs.size() - 1);
  REQUIRE(t3.journal.size() == 3);
  CHECK(t3.journal[2]->removed.count == 1);
  CHECK(t3.journal[2]->added.count == 2);
}
