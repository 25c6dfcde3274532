// Runs whole `fodns` commands in-process (cli::run_cli) against a database in a temp dir,
// checking exit codes, output and the database afterwards.
#include <doctest/doctest.h>

#include <algorithm>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/cli_common.h"
#include "store/zone_repo.h"

using namespace fodns;

namespace {

constexpr const char* kZone =
    "$ORIGIN example.net.\n"
    "$TTL 300\n"
    "@   IN SOA ns1 hostmaster ( 2026112801 3600 600\n"
    "        1209600 30 )\n"
    "    IN NS ns1\n"
    "    IN NS ns2\n"
    "ns1 IN A 192.0.2.1\n"
    "ns2 IN A 192.0.2.2\n"
    "sip 30 IN A 192.0.2.10\n"
    "sip 30 IN A 192.0.2.11\n"
    "_sip._udp 30 IN SRV 10 50 5060 sip\n"
    "@ IN NAPTR 30 50 \"s\" \"SIP+D2U\" \"\" _sip._udp\n"
    "www IN CNAME sip\n"
    "a\\.b IN TXT \"escaped owner\" \"two strings\"\n";

struct Run {
  int code;
  std::string out;
  std::string err;
};

class Fixture {
 public:
  Fixture() {
    char tmpl[] = "/tmp/fodns-cli-XXXXXX";
    dir_ = mkdtemp(tmpl);
    db_ = (dir_ / "t.db").string();
  }
  ~Fixture() { std::filesystem::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& text) {
    auto p = (dir_ / name).string();
    std::ofstream(p) << text;
    return p;
  }

  Run run(std::vector<std::string> args, const std::string& db = {}) {
    args.insert(args.begin(), {"fodns", "--db", db.empty() ? db_ : db});
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    std::ostringstream out, err;
    int code = cli::run_cli(static_cast<int>(argv.size()), argv.data(), out, err);
    return {code, out.str(), err.str()};
  }

  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  const std::string& db() const { return db_; }

 private:
  std::filesystem::path dir_;
  std::string db_;
};

uint32_t served_serial(const std::string& db_path) {
  store::Db db(db_path);
  return store::find_zone(db, "example.net.")->serial;
}

}  // namespace

TEST_CASE("cli: version, help, usage errors") {
  Fixture f;
  CHECK(f.run({"--version"}).out == std::string("fodns ") + FODNS_VERSION + "\n");
  auto help = f.run({"--help"});
  CHECK(help.code == cli::kExitOk);
  CHECK(help.out.find("--db PATH") != std::string::npos);
  CHECK(help.out.find("record add NAME TTL TYPE RDATA") != std::string::npos);
  auto import_help = f.run({"zone", "import", "--help"});
  CHECK(import_help.code == cli::kExitOk);
  CHECK(import_help.out.find("--replace") != std::string::npos);
  CHECK(f.run({}).code == cli::kExitUsage);
  CHECK(f.run({"frobnicate"}).code == cli::kExitUsage);
  CHECK(f.run({"zone", "import"}).code == cli::kExitUsage);
  CHECK(f.run({"zone", "list", "--bogus"}).code == cli::kExitUsage);
  CHECK(f.run({"zone", "list", "extra"}).code == cli::kExitUsage);
}

TEST_CASE("cli: a database that cannot be opened is a runtime error") {
  Fixture f;
  auto r = f.run({"zone", "list"}, f.path("no/such/dir/x.db"));
  CHECK(r.code == cli::kExitRuntime);
  CHECK(r.err.find("cannot") != std::string::npos);
}

TEST_CASE("cli: zone import, list, export; duplicate zone refused") {
  Fixture f;
  auto file = f.write("example.zone", kZone);
  auto r = f.run({"zone", "import", file});
  REQUIRE_MESSAGE(r.code == cli::kExitOk, r.err);
  CHECK(r.out == "imported example.net. (11 records, serial 2026112801)\n");

  auto list = f.run({"zone", "list", "--json"});
  // Transfer settings follow (zone_set_cmd_test.cc checks them).
  CHECK(list.out.starts_with("[{\"name\":\"example.net.\",\"serial\":2026112801,\"records\":11,"));

  auto again = f.run({"zone", "import", file});
  CHECK(again.code == cli::kExitData);
  CHECK(again.err.find("already exists") != std::string::npos);

  auto exp = f.run({"zone", "export", "example.net."});
  REQUIRE(exp.code == cli::kExitOk);
  CHECK(exp.out.starts_with("example.net.\t300\tIN\tSOA\tns1.example.net. "
                            "hostmaster.example.net. 2026112801 "));
  CHECK(exp.out.find("a\\.b.example.net.\t300\tIN\tTXT\t\"escaped owner\" \"two strings\"") !=
        std::string::npos);
  CHECK(f.run({"zone", "export", "example.org"}).code == cli::kExitData);
}

TEST_CASE("cli: export round-trip through a fresh database") {
  Fixture f;
  REQUIRE(f.run({"zone", "import", f.write("example.zone", kZone)}).code == 0);
  auto first = f.run({"zone", "export", "example.net"});
  auto exported = f.write("export.zone", first.out);
  std::string db2 = f.path("second.db");
  auto imp = f.run({"zone", "import", "--replace", exported}, db2);
  REQUIRE_MESSAGE(imp.code == 0, imp.err);
  auto second = f.run({"zone", "export", "example.net"}, db2);
  CHECK(second.out == first.out);
  store::Db a(f.db()), b(db2);
  auto za = store::load_all_zones(a), zb = store::load_all_zones(b);
  REQUIRE(za.size() == 1);
  REQUIRE(zb.size() == 1);
  CHECK(za[0].serial == zb[0].serial);
  REQUIRE(za[0].rrs.size() == zb[0].rrs.size());
  for (const auto& rr : za[0].rrs) {
    CHECK(std::find(zb[0].rrs.begin(), zb[0].rrs.end(), rr) != zb[0].rrs.end());
  }
}

TEST_CASE("cli: a failing import leaves the database unchanged") {
  Fixture f;
  REQUIRE(f.run({"zone", "import", f.write("example.zone", kZone)}).code == 0);
  auto before = f.run({"zone", "export", "example.net"}).out;
  // Valid up to its last line, where a CNAME meets other data.
  auto bad = f.write("bad.zone", std::string(kZone) + "sip IN CNAME www\n");
  auto r = f.run({"zone", "import", "--replace", bad});
  CHECK(r.code == cli::kExitData);
  CHECK(r.err == bad + ":15: CNAME and other data at sip.example.net.\n");
  CHECK(f.run({"zone", "export", "example.net"}).out == before);

  auto outside = f.write("outside.zone", std::string(kZone) + "\n\nfoo.example.org. A 192.0.2.9\n");
  r = f.run({"zone", "import", "--replace", outside});
  CHECK(r.code == cli::kExitData);
  CHECK(r.err == outside + ":17: foo.example.org. is outside the zone example.net.\n");
  auto include = f.write("inc.zone", std::string(kZone) + "$INCLUDE other.zone\n");
  r = f.run({"zone", "import", "--replace", include});
  CHECK(r.code == cli::kExitData);
  CHECK(r.err.starts_with(include + ":15: $INCLUDE"));
  auto no_ns = f.write("nons.zone", "example.net. 60 SOA ns.example.net. h.example.net. 1 2 3 4 5\n");
  r = f.run({"zone", "import", "--replace", no_ns});
  CHECK(r.err == no_ns + ":1: no NS records at the apex example.net.\n");
  // A file that cannot be read is an I/O failure (exit 3), not bad zone data (exit 2).
  CHECK(f.run({"zone", "import", f.path("missing.zone")}).code == cli::kExitRuntime);
  CHECK(f.run({"zone", "export", "example.net"}).out == before);
}

TEST_CASE("cli: --replace keeps the serial moving forward; --origin") {
  Fixture f;
  auto file = f.write("example.zone", kZone);
  REQUIRE(f.run({"zone", "import", file}).code == 0);
  auto r = f.run({"zone", "import", "--replace", file});
  CHECK(r.out == "imported example.net. (11 records, serial 2026112802)\n");
  auto other = f.write("rel.zone", "@ 60 SOA ns h 9 2 3 4 5\n@ 60 NS ns\nns A 192.0.2.1\n");
  r = f.run({"zone", "import", other, "--origin", "example.org"});
  CHECK(r.out == "imported example.org. (3 records, serial 9)\n");
  CHECK(f.run({"zone", "rm", "example.org"}).out == "removed example.org.\n");
  CHECK(f.run({"zone", "rm", "example.org"}).code == cli::kExitData);
}

TEST_CASE("cli: record add bumps the serial (RFC 1982 wrap) and refuses bad input") {
  Fixture f;
  REQUIRE(f.run({"zone", "import", f.write("example.zone", kZone)}).code == 0);
  {
    store::Db db(f.db());
    db.exec("UPDATE zones SET serial = 4294967295");
  }
  auto r = f.run({"record", "add", "sip3.example.net.", "30", "A", "192.0.2.12"});
  REQUIRE_MESSAGE(r.code == 0, r.err);
  CHECK(served_serial(f.db()) == 0);  // 0xFFFFFFFF + 1 wraps to 0
  CHECK(f.run({"record", "add", "t.example.net.", "60", "TXT", "hello world"}).code == 0);
  CHECK(served_serial(f.db()) == 1);
  auto list = f.run({"record", "list", "example.net", "--json"});
  CHECK(list.out.find("{\"zone\":\"example.net.\",\"name\":\"t.example.net.\",\"ttl\":60,"
                      "\"type\":\"TXT\",\"rdata\":\"\\\"hello world\\\"\","
                      "\"backend\":null,\"priority\":0}") != std::string::npos);

  auto before = f.run({"zone", "export", "example.net"}).out;
  struct Bad {
    std::vector<std::string> args;
    int code;
    std::string err;
  };
  std::vector<Bad> bad = {
      {{"sip", "30", "A", "192.0.2.1"}, 1, "record add: NAME 'sip' is not absolute (end it with a dot)\n"},
      {{"sip.example.net.", "abc", "A", "192.0.2.1"}, 1, "record add: TTL 'abc' is not a number\n"},
      {{"sip.example.net.", "30", "BOGUS", "1"}, 1, "record add: TYPE 'BOGUS' is not a known record type\n"},
      {{"sip.example.net.", "30", "A"}, 1, "record add: RDATA is missing\n"},
      {{"sip.example.net.", "30", "A", "192.0.2.10"}, 2, "record add: sip.example.net. A already exists\n"},
      {{"sip.example.net.", "30", "CNAME", "x.example.net."}, 2, "record add: CNAME and other data at sip.example.net. (it has A)\n"},
      {{"www.example.net.", "30", "A", "192.0.2.1"}, 2, "record add: CNAME and other data at www.example.net. (it has a CNAME)\n"},
      {{"x.example.org.", "30", "A", "192.0.2.1"}, 2, "record add: x.example.org. is not inside any zone in " + f.db() + "\n"},
      {{"x.example.net.", "30", "CNAME", "web"}, 2, "record add: RDATA 'web': name 'web' is relative: end it with a dot\n"},
      {{"x.example.net.", "30", "SOA", "a.", "b.", "1", "2", "3", "4", "5"}, 2, "record add: SOA at x.example.net. is not at the apex\n"},
  };
  for (const auto& b : bad) {
    std::vector<std::string> args{"record", "add"};
    args.insert(args.end(), b.args.begin(), b.args.end());
    auto res = f.run(args);
    CHECK_MESSAGE(res.code == b.code, b.err);
    CHECK(res.err == b.err);
  }
  CHECK(f.run({"zone", "export", "example.net"}).out == before);
  CHECK(served_serial(f.db()) == 1);
}

TEST_CASE("cli: record add of an apex SOA replaces it, serial only forward") {
  Fixture f;
  REQUIRE(f.run({"zone", "import", f.write("example.zone", kZone)}).code == 0);
  auto r = f.run({"record", "add", "example.net.", "300", "SOA", "ns1.example.net.",
                  "admin.example.net.", "5", "3600", "600", "1209600", "30"});
  REQUIRE_MESSAGE(r.code == 0, r.err);
  CHECK(served_serial(f.db()) == 2026112802);  // 5 is behind: next serial instead
  r = f.run({"record", "add", "example.net.", "300", "SOA", "ns1.example.net.",
             "admin.example.net.", "2030010100", "3600", "600", "1209600", "30"});
  CHECK(served_serial(f.db()) == 2030010100);
  auto exp = f.run({"zone", "export", "example.net"}).out;
  CHECK(exp.starts_with("example.net.\t300\tIN\tSOA\tns1.example.net. admin.example.net. 2030010100 "));
  store::Db db(f.db());
  auto soas = store::records_at(db, store::find_zone(db, "example.net.")->id,
                                dns::name_from_text("example.net.").value());
  CHECK(std::count_if(soas.begin(), soas.end(), [](auto& s) { return s.rr.type == 6; }) == 1);
}

TEST_CASE("cli: record rm semantics") {
  Fixture f;
  REQUIRE(f.run({"zone", "import", f.write("example.zone", kZone)}).code == 0);
  // One record by its data.
  auto r = f.run({"record", "rm", "sip.example.net.", "A", "192.0.2.10"});
  CHECK(r.out == "removed 1 record (zone example.net., serial 2026112802)\n");
  CHECK(f.run({"record", "rm", "sip.example.net.", "A", "192.0.2.10"}).code == cli::kExitData);
  // The whole RRset without data.
  CHECK(f.run({"record", "add", "sip.example.net.", "30", "A", "192.0.2.12"}).code == 0);
  r = f.run({"record", "rm", "sip.example.net.", "A"});
  CHECK(r.out == "removed 2 records (zone example.net., serial 2026112804)\n");
  r = f.run({"record", "rm", "sip.example.net.", "A"});
  CHECK(r.code == cli::kExitData);
  CHECK(r.err == "record rm: no sip.example.net. A record\n");
  // Names inside rdata match without case.
  r = f.run({"record", "rm", "example.net.", "NS", "NS2.EXAMPLE.NET."});
  CHECK(r.code == 0);
  r = f.run({"record", "rm", "example.net.", "NS"});
  CHECK(r.code == cli::kExitData);
  CHECK(r.err == "record rm: the last NS record at the apex cannot be removed\n");
  r = f.run({"record", "rm", "example.net.", "SOA"});
  CHECK(r.code == cli::kExitData);
  CHECK(r.err.starts_with("record rm: the apex SOA cannot be removed"));
  CHECK(served_serial(f.db()) == 2026112805);
  CHECK(f.run({"record", "rm", "sip", "A"}).code == cli::kExitUsage);
}

TEST_CASE("cli: record list shows every zone in export order") {
  Fixture f;
  REQUIRE(f.run({"zone", "import", f.write("example.zone", kZone)}).code == 0);
  auto r = f.run({"record", "list"});
  CHECK(r.code == 0);
  CHECK(r.out.starts_with("example.net.\t300\tIN\tSOA\t"));
  CHECK(std::count(r.out.begin(), r.out.end(), '\n') == 11);
  CHECK(f.run({"record", "list", "nope.example."}).code == cli::kExitData);
}
