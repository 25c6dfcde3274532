// `fodns zone set|show` and the transfer fields of `zone list --json`, run in-process:
// repeated options replace a list, --no-* clear it, options not given are kept, bounds
// prune the journal at once, and each validation error exits 1 or 2 naming the option and
// the reason, with the database unchanged.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include "cli_fixture.h"
#include "mini_json.h"
#include "store/transfer_repo.h"
#include "store/zone_repo.h"

using namespace fodns;
using test::contains;

namespace {

store::TransferConfig config(const std::string& db_path) {
  store::Db db(db_path);
  return store::load_transfer_config(db, store::find_zone(db, "example.net.")->id);
}

// A zone with a TSIG key "xfr." ready for `zone set`.
void setup(test::CliFixture& f) {
  REQUIRE(f.import(test::kGovernedZone).code == 0);
  REQUIRE(f.run({"tsig", "add", "xfr", "--generate"}).code == 0);
}

}  // namespace

TEST_CASE("zone set: lists replaced by repeated options, others kept, --no-* clears") {
  test::CliFixture f;
  setup(f);
  auto r = f.run({"zone", "set", "Example.NET", "--notify", "192.0.2.53", "--notify",
                  "[2001:db8::53]:5353", "--allow-transfer", "192.0.2.0/24+key:XFR",
                  "--allow-transfer", "2001:db8::7", "--allow-transfer", "key:xfr"});
  REQUIRE_MESSAGE(r.code == cli::kExitOk, r.err);
  CHECK(r.out ==
        "changed example.net.\n"
        "notify:          192.0.2.53:53, [2001:db8::53]:5353\n"
        "allow-transfer:  192.0.2.0/24+key:xfr., 2001:db8::7/128, key:xfr.\n"
        "journal-max:     100\n"
        "journal-max-age: 7d\n");
  auto c = config(f.db());
  REQUIRE(c.notify.size() == 2);
  CHECK(c.notify[1].address == "2001:db8::53");
  CHECK(c.notify[1].port == 5353);
  REQUIRE(c.acl.size() == 3);
  CHECK(c.acl[0].prefix == "192.0.2.0/24");
  CHECK(c.acl[0].key_name == "xfr.");

  // Only the journal bounds: notify and ACL stay.
  r = f.run({"zone", "set", "example.net", "--journal-max", "5", "--journal-max-age", "12h"});
  REQUIRE_MESSAGE(r.code == cli::kExitOk, r.err);
  c = config(f.db());
  CHECK(c.notify.size() == 2);
  CHECK(c.acl.size() == 3);
  CHECK(c.journal_max == 5);
  CHECK(c.journal_max_age_s == 43200);
  // One bound alone keeps the other.
  REQUIRE(f.run({"zone", "set", "example.net", "--journal-max-age", "30s"}).code == 0);
  CHECK(config(f.db()).journal_max == 5);
  CHECK(config(f.db()).journal_max_age_s == 30);

  // A repeated option replaces the whole list; the other list stays.
  REQUIRE(f.run({"zone", "set", "example.net", "--notify", "192.0.2.54:5300"}).code == 0);
  c = config(f.db());
  REQUIRE(c.notify.size() == 1);
  CHECK(c.notify[0].address == "192.0.2.54");
  CHECK(c.acl.size() == 3);

  r = f.run({"zone", "set", "example.net", "--no-notify", "--no-allow-transfer"});
  REQUIRE_MESSAGE(r.code == cli::kExitOk, r.err);
  CHECK(contains(r.out, "notify:          none\n"));
  CHECK(contains(r.out, "allow-transfer:  none (every transfer is refused)\n"));
  c = config(f.db());
  CHECK(c.notify.empty());
  CHECK(c.acl.empty());
  CHECK(c.journal_max == 5);
}

TEST_CASE("zone set: each bad argument names its field, exits 1 or 2, changes nothing") {
  test::CliFixture f;
  setup(f);
  REQUIRE(f.run({"zone", "set", "example.net", "--notify", "192.0.2.53", "--allow-transfer",
                 "key:xfr"}).code == 0);
  std::string before = f.dump();
  struct Case {
    std::vector<std::string> args;
    int code;
    std::string message;
  };
  auto set = [](std::vector<std::string> extra) {
    std::vector<std::string> a = {"zone", "set", "example.net"};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  };
  const std::vector<Case> cases = {
      {set({"--notify", "ns1.example.net"}), 1,
       "zone set: --notify 'ns1.example.net': 'ns1.example.net' is not an IPv4 or IPv6 address"},
      {set({"--notify", "192.0.2.54", "--notify", "192.0.2.1:70000"}), 1,
       "zone set: --notify '192.0.2.1:70000': port '70000' is out of range (allowed 1..65535)"},
      {set({"--notify", "[2001:db8::1"}), 1, "zone set: --notify '[2001:db8::1': missing ']'"},
      {set({"--notify", "192.0.2.54", "--notify", "192.0.2.54:53"}), 1,
       "zone set: --notify 192.0.2.54:53 is given twice"},
      {set({"--notify", "192.0.2.54", "--no-notify"}), 1,
       "zone set: give --notify or --no-notify, not both"},
      {set({"--allow-transfer", "192.0.2.1/24"}), 1,
       "zone set: --allow-transfer '192.0.2.1/24': host bits are set after /24 (the network is "
       "192.0.2.0/24)"},
      {set({"--allow-transfer", "192.0.2.0/40"}), 1,
       "zone set: --allow-transfer '192.0.2.0/40': prefix length '40' is out of range (allowed "
       "0..32 for IPv4)"},
      {set({"--allow-transfer", "any"}), 1,
       "zone set: --allow-transfer 'any': 'any' is not an IPv4 or IPv6 address"},
      {set({"--allow-transfer", "key:xfr", "--allow-transfer", "key:XFR."}), 1,
       "zone set: --allow-transfer key:xfr. is given twice"},
      {set({"--allow-transfer", "key:xfr", "--no-allow-transfer"}), 1,
       "zone set: give --allow-transfer or --no-allow-transfer, not both"},
      {set({"--allow-transfer", "192.0.2.0/24", "--allow-transfer", "10.0.0.0/8+key:nokey"}), 2,
       "zone set: --allow-transfer 10.0.0.0/8+key:nokey.: no TSIG key nokey. (add it with `tsig "
       "add nokey. --generate`)"},
      {set({"--journal-max", "0"}), 1,
       "zone set: --journal-max '0' is out of range (allowed 1..1000000)"},
      {set({"--journal-max", "ten"}), 1, "zone set: --journal-max 'ten' is not a number"},
      {set({"--journal-max-age", "7"}), 1,
       "zone set: --journal-max-age '7' is not a duration (a whole number and s, m, h or d"},
      {set({"--journal-max-age", "0d"}), 1,
       "zone set: --journal-max-age '0d' is out of range (allowed 1s..3650d)"},
      // A good setting next to a bad one is not applied either: one transaction.
      {set({"--no-notify", "--journal-max-age", "1w"}), 1, "--journal-max-age '1w'"},
      {set({}), 1, "zone set: nothing to change"},
      {{"zone", "set", "--notify", "192.0.2.1"}, 1, "zone set: NAME is missing"},
      {{"zone", "set", "example.org", "--no-notify"}, 2, "zone set: no zone example.org."},
      {{"zone", "set", "example.net", "extra", "--no-notify"}, 1,
       "zone set: unexpected argument 'extra'"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.message);
    auto r = f.run(c.args);
    CHECK(r.code == c.code);
    CHECK_MESSAGE(contains(r.err, c.message), r.err);
    CHECK(f.dump() == before);
  }
}

TEST_CASE("zone set: lower journal bounds prune at once; zone show reports the journal") {
  test::CliFixture f;
  setup(f);
  int64_t now = store::unix_now();
  {
    store::Db db(f.db());
    int64_t z = store::find_zone(db, "example.net.")->id;
    for (uint32_t s = 100; s < 110; ++s) {
      store::append_journal(db, z, {s, s + 1, now - 10 + (s - 100), {}, {}}, 100, 604800, now);
    }
  }
  auto r = f.run({"zone", "show", "example.net"});
  REQUIRE_MESSAGE(r.code == 0, r.err);
  CHECK(contains(r.out, "zone:            example.net.\n"));
  CHECK(contains(r.out, "serial:          100\n"));
  CHECK(contains(r.out, "records:         6\n"));
  CHECK(contains(r.out, "notify:          none\n"));
  CHECK(contains(r.out, "journal:         10 entries, IXFR from serial 100 to 110, oldest "));

  REQUIRE(f.run({"zone", "set", "example.net", "--journal-max", "3"}).code == 0);
  r = f.run({"zone", "show", "example.net"});
  CHECK(contains(r.out, "journal-max:     3\n"));
  CHECK(contains(r.out, "journal:         3 entries, IXFR from serial 107 to 110, oldest "));
  // Age: every entry is older than 1s, but the newest one stays.
  {
    store::Db db(f.db());
    db.exec("UPDATE journal SET created_at = created_at - 100");
  }
  REQUIRE(f.run({"zone", "set", "example.net", "--journal-max-age", "1s"}).code == 0);
  r = f.run({"zone", "show", "example.net"});
  CHECK(contains(r.out, "journal:         1 entry, IXFR from serial 109 to 110, oldest "));

  REQUIRE(f.run({"zone", "rm", "example.net"}).code == 0);  // cascades
  {
    store::Db db(f.db());
    auto st = db.prepare("SELECT (SELECT COUNT(*) FROM journal) + (SELECT COUNT(*) FROM zone_notify)"
                         " + (SELECT COUNT(*) FROM zone_transfer_acl)");
    st.step();
    CHECK(st.int64(0) == 0);
  }
  r = f.run({"zone", "show", "example.net"});
  CHECK(r.code == cli::kExitData);
  CHECK(contains(r.err, "zone show: no zone example.net."));
  CHECK(f.run({"zone", "show"}).code == cli::kExitUsage);
}

TEST_CASE("zone list --json: notify targets, ACL and journal of each zone") {
  test::CliFixture f;
  setup(f);
  REQUIRE(f.run({"zone", "set", "example.net", "--notify", "[2001:db8::53]:5353",
                 "--allow-transfer", "192.0.2.0/24", "--allow-transfer", "key:xfr",
                 "--journal-max", "20"}).code == 0);
  auto r = f.run({"zone", "list", "--json"});
  REQUIRE_MESSAGE(r.code == 0, r.err);
  auto j = test::JsonReader::parse(r.out);
  REQUIRE(j.array.size() == 1);
  const auto& z = j[0];
  CHECK(z["name"].string == "example.net.");
  CHECK(z["records"].number == 6);
  REQUIRE(z["notify"].array.size() == 1);
  CHECK(z["notify"][0]["address"].string == "2001:db8::53");
  CHECK(z["notify"][0]["port"].number == 5353);
  REQUIRE(z["allow_transfer"].array.size() == 2);
  CHECK(z["allow_transfer"][0]["prefix"].string == "192.0.2.0/24");
  CHECK(z["allow_transfer"][0]["key"].is_null());
  CHECK(z["allow_transfer"][1]["prefix"].is_null());
  CHECK(z["allow_transfer"][1]["key"].string == "xfr.");
  CHECK(z["journal"]["max"].number == 20);
  CHECK(z["journal"]["max_age_s"].number == 604800);
  CHECK(z["journal"]["entries"].number == 0);
  CHECK(z["journal"]["oldest_serial"].is_null());
  CHECK(z["journal"]["newest_serial"].is_null());
}
