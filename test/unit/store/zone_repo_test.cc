#include "store/zone_repo.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <ldns/ldns.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "dns/ldns_ptr.h"
#include "zonefile/zone_file.h"

using namespace fodns;

namespace {

dns::Bytes wire(const char* name) { return dns::name_from_text(name).value(); }

dns::ZoneContent example(uint32_t serial) {
  auto text = fmt::format(
      "$ORIGIN example.net.\n@ 60 SOA ns1 h {} 2 3 4 5\n@ 60 NS ns1\nns1 60 A 192.0.2.1\n"
      "sip 30 A 192.0.2.10\nsip 30 A 192.0.2.11\n",
      serial);
  return zonefile::parse_zone_text(text, "t").value().content;
}

uint32_t soa_serial(const dns::ZoneContent& z) {
  for (const auto& rr : z.rrs) {
    uint32_t s = 0;
    if (rr.type == LDNS_RR_TYPE_SOA && dns::soa_fields(rr.rdata, &s, nullptr)) return s;
  }
  return 0;
}

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char tmpl[] = "/tmp/fodns-store-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

}  // namespace

TEST_CASE("store: a new database is migrated to schema 1, WAL on a file") {
  store::Db mem(":memory:");
  CHECK(mem.schema_version() >= 1);
  TempDir dir;
  std::string path = (dir.path / "f.db").string();
  store::Db db(path);
  CHECK(db.schema_version() >= 1);
  auto st = db.prepare("PRAGMA journal_mode");
  REQUIRE(st.step());
  CHECK(st.text(0) == "wal");
  CHECK((std::filesystem::status(path).permissions() & std::filesystem::perms::others_read) ==
        std::filesystem::perms::none);
}

TEST_CASE("store: store_zone, find, list, load_all_zones") {
  store::Db db(":memory:");
  {
    store::Transaction tx(db);
    CHECK(store::store_zone(db, example(10), 1000) == 10);
    tx.commit();
  }
  auto zones = store::list_zones(db);
  REQUIRE(zones.size() == 1);
  CHECK(zones[0].name == "example.net.");
  CHECK(zones[0].serial == 10);
  CHECK(zones[0].record_count == 5);
  CHECK(zones[0].created_at == 1000);
  CHECK(store::find_zone(db, "EXAMPLE.net.").has_value());
  CHECK_FALSE(store::find_zone(db, "example.org.").has_value());
  CHECK(store::find_enclosing_zone(db, wire("a.b.sip.example.net."))->name == "example.net.");
  CHECK_FALSE(store::find_enclosing_zone(db, wire("example.com.")).has_value());

  // The served serial is zones.serial, whatever the SOA rdata says.
  db.exec("UPDATE zones SET serial = 77");
  auto all = store::load_all_zones(db);
  REQUIRE(all.size() == 1);
  CHECK(all[0].origin == wire("example.net."));
  CHECK(all[0].serial == 77);
  CHECK(soa_serial(all[0]) == 77);
  CHECK(all[0].rrs.size() == 5);
  auto original = example(77);
  for (const auto& rr : original.rrs) {
    CHECK(std::find(all[0].rrs.begin(), all[0].rrs.end(), rr) != all[0].rrs.end());
  }
}

TEST_CASE("store: replacing a zone never moves its serial backward (RFC 1982)") {
  store::Db db(":memory:");
  CHECK(store::store_zone(db, example(100), 1) == 100);
  CHECK(store::store_zone(db, example(50), 2) == 101);   // behind: next after served
  CHECK(store::store_zone(db, example(500), 3) == 500);  // ahead: taken as is
  CHECK(store::store_zone(db, example(3), 4) == 501);
  db.exec("UPDATE zones SET serial = 4294967295");
  CHECK(store::store_zone(db, example(5), 5) == 5);  // 5 is ahead of 2^32-1 in serial space
  auto z = store::find_zone(db, "example.net.");
  CHECK(z->record_count == 5);
  CHECK(z->created_at == 1);
  CHECK(z->updated_at == 5);
  CHECK(soa_serial(store::load_zone(db, *z)) == 5);
}

TEST_CASE("store: records_at, insert, delete, delete_zone cascades") {
  store::Db db(":memory:");
  store::store_zone(db, example(1), 1);
  auto z = *store::find_zone(db, "example.net.");
  auto sip = store::records_at(db, z.id, wire("sip.example.net."));
  REQUIRE(sip.size() == 2);
  store::delete_record(db, sip[0].id);
  store::insert_record(db, z.id, zonefile::parse_absolute_rr("sip.example.net. 30 AAAA ::1").value());
  sip = store::records_at(db, z.id, wire("sip.example.net."));
  REQUIRE(sip.size() == 2);
  CHECK(sip[1].rr.type == LDNS_RR_TYPE_AAAA);
  CHECK(store::delete_zone(db, "example.net."));
  CHECK_FALSE(store::delete_zone(db, "example.net."));
  auto st = db.prepare("SELECT COUNT(*) FROM records");
  st.step();
  CHECK(st.int64(0) == 0);
}

TEST_CASE("dns: absolute_name_from_text reads the escapes ldns prints") {
  for (const char* name : {".", "example.net.", "a\\.b.example.net.", "weird\\255x.example.",
                           "a\\032b\\\"c\\;d.example.", "*.phones.example.net."}) {
    dns::Bytes w = wire(name);
    std::string text = dns::name_to_text(w);
    dns::Bytes back;
    REQUIRE_MESSAGE(dns::absolute_name_from_text(text, back), text);
    CHECK_MESSAGE(back == w, text);
  }
  dns::Bytes out;
  CHECK(dns::absolute_name_from_text("SIP.Example.NET.", out));
  CHECK(out == wire("sip.example.net."));
  CHECK_FALSE(dns::absolute_name_from_text("relative", out));
  CHECK_FALSE(dns::absolute_name_from_text("a..b.", out));
  CHECK_FALSE(dns::absolute_name_from_text("bad\\999.", out));
}

namespace {
std::string ldns_text(const dns::Bytes& w) {
  dns::LdnsRdf rdf(ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, w.size(), w.data()));
  char* s = ldns_rdf2str(rdf.get());
  std::string out = s;
  free(s);
  return out;
}
}  // namespace

TEST_CASE("dns: name_to_text prints what ldns prints, for every octet") {
  for (int c = 0; c < 256; ++c) {
    dns::Bytes w{3, 'a', static_cast<uint8_t>(c), 'b', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0};
    CHECK(dns::name_to_text(w) == ldns_text(w));
  }
  CHECK(dns::name_to_text(dns::Bytes{0}) == ldns_text(dns::Bytes{0}));
}
