// Governed records from the CLI: `record add --backend`, `record set-backend`,
// `record list` showing backend and priority, `rrset set`, and the SOA MINIMUM warnings
// of those commands and of `zone import`.
#include <doctest/doctest.h>

#include "cli_fixture.h"
#include "mini_json.h"
#include "store/backend_repo.h"
#include "store/zone_repo.h"

using namespace fodns;
using test::contains;

namespace {

uint32_t serial_of(const std::string& db_path) {
  store::Db db(db_path);
  return store::find_zone(db, "example.net.")->serial;
}

std::vector<store::GovernedRecord> governed(const std::string& db_path) {
  store::Db db(db_path);
  return store::governed_records(db, store::find_zone(db, "example.net.")->id);
}

constexpr const char* kSoaWarning =
    "negative answers are cached up to MINIMUM seconds; keep it <= 60 for fast failover";

struct Setup {
  test::CliFixture f;
  Setup(const char* zone = test::kGovernedZone) {
    REQUIRE(f.import(zone).code == 0);
    REQUIRE(f.run({"backend", "add", "sip1", "--address", "192.0.2.10", "--probe", "sip-options"}).code == 0);
    REQUIRE(f.run({"backend", "add", "sip2", "--address", "192.0.2.11", "--probe", "sip-options"}).code == 0);
  }
};

}  // namespace

TEST_CASE("record add --backend: governed, serial bumped, listed") {
  Setup s;
  auto& f = s.f;
  uint32_t serial = serial_of(f.db());
  auto r = f.run({"record", "add", "sip.example.net.", "30", "A", "192.0.2.12", "--backend", "sip2",
                  "--priority", "10"});
  REQUIRE_MESSAGE(r.code == 0, r.err);
  CHECK(contains(r.out, fmt::format("serial {}, backend sip2 priority 10)", serial + 1)));
  CHECK(r.err.empty());  // SOA MINIMUM 30: no warning
  auto g = governed(f.db());
  REQUIRE(g.size() == 1);
  CHECK(g[0].backend == "sip2");
  CHECK(g[0].priority == 10);
  CHECK(g[0].owner == "sip.example.net.");

  auto text = f.run({"record", "list", "example.net."});
  CHECK(contains(text.out, "sip.example.net.\t30\tIN\tA\t192.0.2.12 ; backend sip2 priority 10\n"));
  CHECK(contains(text.out, "sip.example.net.\t30\tIN\tA\t192.0.2.10\n"));
  auto json = test::JsonReader::parse(f.run({"record", "list", "--json"}).out);
  int found = 0;
  for (const auto& rec : json.array) {
    CHECK(rec.has("backend"));
    CHECK(rec.has("priority"));
    if (rec["rdata"].string == "192.0.2.12") {
      ++found;
      CHECK(rec["backend"].string == "sip2");
      CHECK(rec["priority"].number == 10);
    } else {
      CHECK(rec["backend"].is_null());
    }
  }
  CHECK(found == 1);
}

TEST_CASE("record add --backend: errors leave the database unchanged") {
  Setup s;
  auto& f = s.f;
  std::string before = f.dump();
  struct Case {
    std::vector<std::string> args;
    int code;
    std::string message;
  };
  std::vector<Case> cases = {
      {{"record", "add", "x.example.net.", "30", "A", "192.0.2.5", "--backend", "nosuch"}, 2,
       "record add: --backend: no backend 'nosuch'"},
      {{"record", "add", "x.example.net.", "30", "A", "192.0.2.5", "--priority", "1"}, 1,
       "record add: --priority needs --backend"},
      {{"record", "add", "x.example.net.", "30", "A", "192.0.2.5", "--backend", "sip1", "--priority",
        "-1"}, 1, "record add: --priority '-1' is out of range (allowed 0..65535)"},
      {{"record", "add", "x.example.net.", "30", "A", "192.0.2.5", "--backend", "sip1", "--priority",
        "high"}, 1, "record add: --priority 'high' is not a number"},
      {{"record", "add", "example.net.", "30", "SOA", "ns1.example.net.", "h.example.net.", "1", "2",
        "3", "4", "5", "--backend", "sip1"}, 1, "an SOA record cannot be governed"},
      {{"record", "add", "sip.example.net.", "30", "A", "192.0.2.10", "--backend", "sip1"}, 2,
       "already exists"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.args);
    auto r = f.run(c.args);
    CHECK(r.code == c.code);
    CHECK_MESSAGE(contains(r.err, c.message), r.err);
    CHECK(f.dump() == before);
  }
}

TEST_CASE("record set-backend: govern, re-govern, --none; errors") {
  Setup s;
  auto& f = s.f;
  uint32_t serial = serial_of(f.db());
  auto r = f.run({"record", "set-backend", "sip.example.net.", "A", "192.0.2.10", "--backend", "sip1",
                  "--priority", "3"});
  REQUIRE_MESSAGE(r.code == 0, r.err);
  CHECK(r.out == fmt::format("sip.example.net. A: backend sip1 priority 3 (zone example.net., serial {})\n",
                             serial + 1));
  // A new backend keeps the priority unless one is given.
  REQUIRE(f.run({"record", "set-backend", "sip.example.net.", "A", "192.0.2.10", "--backend", "sip2"}).code == 0);
  auto g = governed(f.db());
  REQUIRE(g.size() == 1);
  CHECK(g[0].backend == "sip2");
  CHECK(g[0].priority == 3);
  CHECK(serial_of(f.db()) == serial + 2);

  std::string before = f.dump();
  struct Case {
    std::vector<std::string> args;
    int code;
    std::string message;
  };
  std::vector<Case> cases = {
      {{"record", "set-backend", "sip.example.net.", "A", "192.0.2.99", "--backend", "sip1"}, 2,
       "record set-backend: no sip.example.net. A record with RDATA 192.0.2.99"},
      {{"record", "set-backend", "sip.example.net.", "A", "192.0.2.10", "--backend", "nosuch"}, 2,
       "record set-backend: --backend: no backend 'nosuch'"},
      {{"record", "set-backend", "sip.example.net.", "A", "192.0.2.10"}, 1,
       "record set-backend: give either --backend NAME or --none"},
      {{"record", "set-backend", "sip.example.net.", "A", "192.0.2.10", "--none", "--backend", "sip1"}, 1,
       "give either --backend NAME or --none"},
      {{"record", "set-backend", "sip.example.net.", "A", "--backend", "sip1"}, 1,
       "record set-backend: RDATA is missing"},
      {{"record", "set-backend", "sip.example.net.", "A", "192.0.2.10", "--none", "--priority", "1"}, 1,
       "--priority needs --backend"},
      {{"record", "set-backend", "sip.example.org.", "A", "192.0.2.10", "--backend", "sip1"}, 2,
       "is not inside any zone"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.args);
    auto res = f.run(c.args);
    CHECK(res.code == c.code);
    CHECK_MESSAGE(contains(res.err, c.message), res.err);
    CHECK(f.dump() == before);
  }

  r = f.run({"record", "set-backend", "sip.example.net.", "A", "192.0.2.10", "--none"});
  REQUIRE_MESSAGE(r.code == 0, r.err);
  CHECK(contains(r.out, "backend none"));
  CHECK(governed(f.db()).empty());
}

TEST_CASE("rrset set: upsert, only given fields change, serial bumped") {
  Setup s;
  auto& f = s.f;
  REQUIRE(f.run({"record", "set-backend", "sip.example.net.", "A", "192.0.2.10", "--backend", "sip1"}).code == 0);
  uint32_t serial = serial_of(f.db());
  auto r = f.run({"rrset", "set", "sip.example.net.", "A", "--all-down", "closed"});
  REQUIRE_MESSAGE(r.code == 0, r.err);
  CHECK(r.out == fmt::format("sip.example.net. A: all-down closed, ttl 20 (default) (zone example.net., "
                             "serial {})\n", serial + 1));
  CHECK(r.err.empty());
  r = f.run({"rrset", "set", "sip.example.net.", "a", "--ttl", "15"});
  REQUIRE_MESSAGE(r.code == 0, r.err);
  CHECK(contains(r.out, "all-down closed, ttl 15"));
  CHECK(serial_of(f.db()) == serial + 2);
  {
    store::Db db(f.db());
    auto zone = store::find_zone(db, "example.net.").value();
    auto p = store::find_rrset_policy(db, zone.id, "sip.example.net.", 1).value();
    CHECK(p.all_down == "closed");
    CHECK(p.ttl == 15u);
    auto zones = store::load_all_zones(db);
    REQUIRE(zones.at(0).policies.size() == 1);
    CHECK(zones[0].policies[0].all_down_closed);
  }
  // An ungoverned RRset: allowed, with a note.
  r = f.run({"rrset", "set", "_sip._udp.example.net.", "SRV", "--all-down", "open"});
  CHECK(r.code == 0);
  CHECK(contains(r.err, "note: no record of _sip._udp.example.net. SRV is governed yet"));

  std::string before = f.dump();
  struct Case {
    std::vector<std::string> args;
    int code;
    std::string message;
  };
  std::vector<Case> cases = {
      {{"rrset", "set", "sip.example.net.", "AAAA", "--ttl", "5"}, 2,
       "rrset set: no sip.example.net. AAAA RRset in zone example.net."},
      {{"rrset", "set", "sip.example.org.", "A", "--ttl", "5"}, 2, "is not inside any zone"},
      {{"rrset", "set", "sip.example.net.", "A", "--ttl", "0"}, 1,
       "rrset set: --ttl '0' is out of range (allowed 1..86400)"},
      {{"rrset", "set", "sip.example.net.", "A", "--ttl", "86401"}, 1, "--ttl '86401' is out of range"},
      {{"rrset", "set", "sip.example.net.", "A", "--all-down", "half"}, 1,
       "rrset set: --all-down 'half' is not one of open, closed"},
      {{"rrset", "set", "sip.example.net.", "A"}, 1, "rrset set: nothing to set"},
      {{"rrset", "set", "sip.example.net."}, 1, "rrset set: NAME TYPE expected"},
      {{"rrset", "set", "sip", "A", "--ttl", "5"}, 1, "is not absolute"},
      {{"rrset", "frob"}, 1, "rrset: unknown subcommand"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.args);
    auto res = f.run(c.args);
    CHECK(res.code == c.code);
    CHECK_MESSAGE(contains(res.err, c.message), res.err);
    CHECK(f.dump() == before);
  }
  auto help = f.run({"rrset", "set", "--help"});
  CHECK(contains(help.out, "--all-down"));
  CHECK(contains(help.out, "(default: open)"));
  CHECK(contains(help.out, "(default: 20)"));
}

TEST_CASE("SOA MINIMUM above 60 s: warnings, never errors") {
  const std::string high =
      "$ORIGIN example.net.\n@ 300 SOA ns1 h 1 3600 600 1209600 3600\n@ 300 NS ns1\n"
      "ns1 300 A 192.0.2.1\nsip 30 A 192.0.2.10\n";
  Setup s(high.c_str());
  auto& f = s.f;
  auto r = f.run({"record", "add", "sip.example.net.", "30", "A", "192.0.2.11", "--backend", "sip1"});
  CHECK(r.code == 0);
  CHECK(contains(r.err, "record add: warning: zone example.net. has SOA MINIMUM 3600"));
  CHECK(contains(r.err, kSoaWarning));
  r = f.run({"record", "add", "www.example.net.", "30", "A", "192.0.2.11"});  // ungoverned
  CHECK(r.err.empty());
  r = f.run({"rrset", "set", "sip.example.net.", "A", "--ttl", "10"});
  CHECK(r.code == 0);
  CHECK(contains(r.err, kSoaWarning));
  r = f.run({"record", "set-backend", "sip.example.net.", "A", "192.0.2.10", "--backend", "sip2"});
  CHECK(r.code == 0);
  CHECK(contains(r.err, kSoaWarning));

  // --replace keeps governance, so the re-import warns; a zone without governed records does not.
  r = f.run({"zone", "import", "--replace", f.write("again.zone", high)});
  CHECK(r.code == 0);
  CHECK(contains(r.err, "warning: zone example.net. has SOA MINIMUM 3600"));
  r = f.run({"zone", "import", f.write("org.zone",
      "$ORIGIN example.org.\n@ 300 SOA ns1 h 1 3600 600 1209600 3600\n@ 300 NS ns1\nns1 A 192.0.2.1\n")});
  CHECK(r.code == 0);
  CHECK(r.err.empty());
}
