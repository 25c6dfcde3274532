// store/transfer_repo on :memory:: TSIG key CRUD and the refusal to delete a key an ACL
// uses, NOTIFY/ACL replacement and load order, journal append, chaining, pruning by count
// and by age (oldest first, never the newest entry, never a hole), and ON DELETE CASCADE.
#include "store/transfer_repo.h"

#include <doctest/doctest.h>

#include "store/zone_repo.h"
#include "zonefile/zone_file.h"

using namespace fodns;

namespace {

int64_t add_zone(store::Db& db, const char* origin) {
  auto text = fmt::format("$ORIGIN {}\n@ 60 SOA ns1 h 1 2 3 4 5\n@ 60 NS ns1\nns1 60 A 192.0.2.1\n",
                          origin);
  store::store_zone(db, zonefile::parse_zone_text(text, "t").value().content, 1);
  return store::find_zone(db, origin)->id;
}

store::TsigKey key(const char* name, const char* alg = "hmac-sha256") {
  return {0, name, alg, "c2VjcmV0c2VjcmV0c2VjcmV0"};
}

store::JournalEntry entry(uint32_t from, uint32_t to, int64_t at) {
  return {from, to, at, {1, 2, uint8_t(from)}, {3, uint8_t(to)}};
}

// serial_to of each entry, oldest first.
std::vector<uint32_t> chain(store::Db& db, int64_t zone) {
  std::vector<uint32_t> out;
  for (const auto& e : store::load_journal(db, zone)) out.push_back(e.serial_to);
  return out;
}

int64_t count(store::Db& db, const char* table) {
  auto st = db.prepare(std::string("SELECT COUNT(*) FROM ") + table);
  st.step();
  return st.int64(0);
}

}  // namespace

TEST_CASE("transfer_repo: TSIG keys insert, find, list by name, delete") {
  store::Db db(":memory:");
  store::insert_tsig_key(db, key("b-key.", "hmac-sha512"), 10);
  store::insert_tsig_key(db, key("a-key."), 11);
  auto keys = store::list_tsig_keys(db);
  REQUIRE(keys.size() == 2);
  CHECK(keys[0].name == "a-key.");
  CHECK(keys[1].name == "b-key.");
  CHECK(keys[1].algorithm == "hmac-sha512");
  CHECK(keys[1].secret == "c2VjcmV0c2VjcmV0c2VjcmV0");
  CHECK(keys[0].id != 0);
  auto found = store::find_tsig_key(db, "b-key.");
  REQUIRE(found);
  CHECK(found->id == keys[1].id);
  CHECK_FALSE(store::find_tsig_key(db, "c-key."));
  // Names are unique; the schema refuses unknown algorithms.
  CHECK_THROWS_AS(store::insert_tsig_key(db, key("a-key."), 12), store::StoreError);
  CHECK_THROWS_AS(store::insert_tsig_key(db, key("c-key.", "hmac-md5"), 12), store::StoreError);
  CHECK(store::delete_tsig_key(db, "a-key."));
  CHECK_FALSE(store::delete_tsig_key(db, "a-key."));
  CHECK(store::list_tsig_keys(db).size() == 1);
}

TEST_CASE("transfer_repo: notify and ACL are replaced whole and load in the order given") {
  store::Db db(":memory:");
  int64_t z = add_zone(db, "example.net.");
  add_zone(db, "example.org.");
  store::insert_tsig_key(db, key("xfr."), 1);

  auto cfg = store::load_transfer_config(db, z);
  CHECK(cfg.zone_name == "example.net.");
  CHECK(cfg.notify.empty());
  CHECK(cfg.acl.empty());  // denied by default
  CHECK(cfg.journal_max == 100);
  CHECK(cfg.journal_max_age_s == 604800);

  store::replace_notify(db, z, {{"192.0.2.53", 53}, {"2001:db8::53", 5353}, {"192.0.2.1", 53}});
  store::replace_acl(db, z, {{"192.0.2.0/24", ""}, {"", "xfr."}, {"2001:db8::/32", "xfr."}});
  store::set_journal_bounds(db, z, 5, 3600);
  cfg = store::load_transfer_config(db, z);
  REQUIRE(cfg.notify.size() == 3);
  CHECK(cfg.notify[0].address == "192.0.2.53");
  CHECK(cfg.notify[1].address == "2001:db8::53");
  CHECK(cfg.notify[1].port == 5353);
  CHECK(cfg.notify[2].address == "192.0.2.1");
  REQUIRE(cfg.acl.size() == 3);
  CHECK(cfg.acl[0].prefix == "192.0.2.0/24");
  CHECK(cfg.acl[0].key_name.empty());
  CHECK(cfg.acl[1].prefix.empty());
  CHECK(cfg.acl[1].key_name == "xfr.");
  CHECK(cfg.acl[2].prefix == "2001:db8::/32");
  CHECK(cfg.acl[2].key_name == "xfr.");
  CHECK(cfg.journal_max == 5);
  CHECK(cfg.journal_max_age_s == 3600);

  store::replace_notify(db, z, {{"192.0.2.54", 53}});
  store::replace_acl(db, z, {});
  cfg = store::load_transfer_config(db, z);
  REQUIRE(cfg.notify.size() == 1);
  CHECK(cfg.notify[0].address == "192.0.2.54");
  CHECK(cfg.acl.empty());

  // An unknown key names the key; a row with neither prefix nor key is refused.
  CHECK_THROWS_WITH_AS(store::replace_acl(db, z, {{"", "nokey."}}), "no TSIG key nokey.",
                       store::StoreError);
  CHECK_THROWS_AS(store::replace_acl(db, z, {{"", ""}}), store::StoreError);
  CHECK_THROWS_AS(store::load_transfer_config(db, 9999), store::StoreError);

  auto all = store::load_all_transfer_configs(db);
  REQUIRE(all.size() == 2);
  CHECK(all[0].zone_name == "example.net.");  // the order of list_zones()
  CHECK(all[0].notify.size() == 1);
  CHECK(all[1].zone_name == "example.org.");
  CHECK(all[1].notify.empty());
}

TEST_CASE("transfer_repo: a key an ACL uses cannot be deleted; the error names the zones") {
  store::Db db(":memory:");
  int64_t net = add_zone(db, "example.net.");
  int64_t org = add_zone(db, "example.org.");
  store::insert_tsig_key(db, key("xfr."), 1);
  store::replace_acl(db, org, {{"", "xfr."}});
  store::replace_acl(db, net, {{"192.0.2.0/24", "xfr."}, {"", "xfr."}});
  CHECK(store::tsig_key_users(db, "xfr.") == std::vector<std::string>{"example.net.", "example.org."});
  CHECK_THROWS_WITH_AS(
      store::delete_tsig_key(db, "xfr."),
      "TSIG key xfr. is used by the transfer ACL of zone example.net., example.org.",
      store::StoreError);
  CHECK(store::find_tsig_key(db, "xfr."));
  store::replace_acl(db, net, {});
  store::replace_acl(db, org, {{"192.0.2.0/24", ""}});
  CHECK(store::tsig_key_users(db, "xfr.").empty());
  CHECK(store::delete_tsig_key(db, "xfr."));
}

TEST_CASE("transfer_repo: journal appends in order and prunes the oldest beyond max entries") {
  store::Db db(":memory:");
  int64_t z = add_zone(db, "example.net.");
  CHECK(store::journal_summary(db, z).entries == 0);
  for (uint32_t s = 1; s <= 5; ++s) store::append_journal(db, z, entry(s, s + 1, 100 + s), 3, 3600, 110);
  CHECK(chain(db, z) == std::vector<uint32_t>{4, 5, 6});
  auto j = store::load_journal(db, z);
  CHECK(j[0].serial_from == 3);
  CHECK(j[0].created_at == 103);
  CHECK(j[0].removed == std::vector<uint8_t>{1, 2, 3});
  CHECK(j[0].added == std::vector<uint8_t>{3, 4});
  auto sum = store::journal_summary(db, z);
  CHECK(sum.entries == 3);
  CHECK(sum.oldest_serial == 3);
  CHECK(sum.newest_serial == 6);
  CHECK(sum.oldest_at == 103);

  // Lowering the bound prunes at once; at least one entry is always kept.
  store::prune_journal(db, z, 0, 3600, 110);
  CHECK(chain(db, z) == std::vector<uint32_t>{6});
  // created_at 0 means now; empty RR lists are fine (a change of the SOA only).
  store::append_journal(db, z, {6, 7, 0, {}, {}}, 10, 3600, 200);
  j = store::load_journal(db, z);
  CHECK(j.back().created_at == 200);
  CHECK(j.back().added.empty());
  store::clear_journal(db, z);
  CHECK(store::load_journal(db, z).empty());
}

TEST_CASE("transfer_repo: journal prunes by age, oldest first, never the newest entry") {
  store::Db db(":memory:");
  int64_t z = add_zone(db, "example.net.");
  store::append_journal(db, z, entry(1, 2, 1000), 100, 600, 1000);
  store::append_journal(db, z, entry(2, 3, 1300), 100, 600, 1300);
  store::append_journal(db, z, entry(3, 4, 1500), 100, 600, 1500);
  CHECK(chain(db, z) == std::vector<uint32_t>{2, 3, 4});
  store::prune_journal(db, z, 100, 600, 1600);  // entry at 1000 is 600 s old: kept (not older)
  CHECK(chain(db, z) == std::vector<uint32_t>{2, 3, 4});
  store::prune_journal(db, z, 100, 600, 1601);
  CHECK(chain(db, z) == std::vector<uint32_t>{3, 4});
  // A quiet week later every entry is too old, but the newest one stays: a secondary one
  // change behind still gets an IXFR.
  store::prune_journal(db, z, 100, 600, 1'000'000);
  CHECK(chain(db, z) == std::vector<uint32_t>{4});
  // The next change drops it: it is old, and no longer the newest.
  store::append_journal(db, z, entry(4, 5, 1'000'000), 100, 600, 1'000'000);
  CHECK(chain(db, z) == std::vector<uint32_t>{5});
}

TEST_CASE("transfer_repo: age pruning cuts a prefix even if the clock stepped back") {
  store::Db db(":memory:");
  int64_t z = add_zone(db, "example.net.");
  store::append_journal(db, z, entry(1, 2, 5000), 100, 100, 5000);
  store::append_journal(db, z, entry(2, 3, 1000), 100, 100000, 5000);  // clock stepped back
  store::append_journal(db, z, entry(3, 4, 5001), 100, 100000, 5001);
  store::append_journal(db, z, entry(4, 5, 5002), 100, 100000, 5002);
  // Only the entry at 1000 is too old, but dropping it alone would leave 1->2 and 3->4 with a
  // hole between them; everything up to it goes.
  store::prune_journal(db, z, 100, 100, 5050);
  CHECK(chain(db, z) == std::vector<uint32_t>{4, 5});
}

TEST_CASE("transfer_repo: an entry that does not continue the chain restarts the journal") {
  store::Db db(":memory:");
  int64_t z = add_zone(db, "example.net.");
  store::append_journal(db, z, entry(1, 2, 10), 100, 3600, 10);
  store::append_journal(db, z, entry(2, 3, 11), 100, 3600, 11);
  store::append_journal(db, z, entry(7, 8, 12), 100, 3600, 12);  // 3 -> 7 was never journaled
  CHECK(chain(db, z) == std::vector<uint32_t>{8});
  store::append_journal(db, z, entry(8, 9, 13), 100, 3600, 13);
  // A serial_to already in the journal: a loop around serial space. The old entries go
  // (the primary key (zone_id, serial_to) would refuse the row anyway).
  store::append_journal(db, z, entry(9, 8, 14), 100, 3600, 14);
  CHECK(chain(db, z) == std::vector<uint32_t>{8});
  CHECK_THROWS_AS(store::append_journal(db, z, entry(8, 8, 15), 100, 3600, 15), store::StoreError);
  // Journals of different zones are independent.
  int64_t org = add_zone(db, "example.org.");
  store::append_journal(db, org, entry(1, 2, 10), 100, 3600, 10);
  CHECK(chain(db, z) == std::vector<uint32_t>{8});
  CHECK(chain(db, org) == std::vector<uint32_t>{2});
}

TEST_CASE("transfer_repo: removing a zone removes its notify targets, ACL and journal") {
  store::Db db(":memory:");
  int64_t z = add_zone(db, "example.net.");
  int64_t org = add_zone(db, "example.org.");
  store::insert_tsig_key(db, key("xfr."), 1);
  for (int64_t id : {z, org}) {
    store::replace_notify(db, id, {{"192.0.2.53", 53}});
    store::replace_acl(db, id, {{"", "xfr."}});
    store::append_journal(db, id, entry(1, 2, 10), 100, 3600, 10);
  }
  REQUIRE(store::delete_zone(db, "example.net."));
  CHECK(count(db, "zone_notify") == 1);
  CHECK(count(db, "zone_transfer_acl") == 1);
  CHECK(count(db, "journal") == 1);
  CHECK(store::tsig_key_users(db, "xfr.") == std::vector<std::string>{"example.org."});
  CHECK(count(db, "tsig_keys") == 1);  // keys are not per zone
}
