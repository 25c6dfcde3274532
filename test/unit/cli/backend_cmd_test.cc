// `fodns backend add|set|rm|list|drain|resume` run in-process: success paths, each
// validation error (the field named, the exit code, the database unchanged), removal
// while records use a backend, and the events and serial bumps of drain/resume.
#include <doctest/doctest.h>

#include "cli_fixture.h"
#include "mini_json.h"
#include "store/backend_repo.h"
#include "store/zone_repo.h"

using namespace fodns;
using test::contains;

namespace {

uint32_t serial_of(const std::string& db_path, const char* zone = "example.net.") {
  store::Db db(db_path);
  return store::find_zone(db, zone)->serial;
}

store::Backend backend(const std::string& db_path, const char* name) {
  store::Db db(db_path);
  return store::find_backend(db, name).value();
}

}  // namespace

TEST_CASE("backend add: defaults, options, and no state row") {
  test::CliFixture f;
  auto r = f.run({"backend", "add", "sip1", "--address", "192.0.2.10", "--probe", "sip-options"});
  REQUIRE_MESSAGE(r.code == cli::kExitOk, r.err);
  CHECK(r.out == "added backend sip1 192.0.2.10:5060 sip-options/udp every 1s (timeout 800ms, rise 2, fall 3)\n");
  auto b = backend(f.db(), "sip1");
  CHECK(b.port == 5060);
  CHECK(b.transport == "udp");
  CHECK(b.interval_ms == 1000);
  CHECK(b.timeout_ms == 800);
  CHECK(b.rise == 2);
  CHECK(b.fall == 3);
  CHECK(b.alive_codes == "200-407,409-499");
  CHECK(b.sip_uri.empty());
  CHECK_FALSE(b.drained);
  {
    store::Db db(f.db());
    CHECK(store::load_backend_states(db).empty());  // state unknown until probed
  }

  r = f.run({"backend", "add", "sip-2.b_x", "--address", "2001:DB8:0::0:10", "--port", "5080",
             "--probe", "sip-options", "--transport", "tcp", "--interval", "1.5s", "--timeout",
             "1.5s", "--rise", "1", "--fall", "100", "--alive-codes", " 200, 300-399 ",
             "--sip-uri", "sips:ping@example.net"});
  REQUIRE_MESSAGE(r.code == cli::kExitOk, r.err);
  b = backend(f.db(), "sip-2.b_x");
  CHECK(b.address == "2001:db8::10");  // canonical form
  CHECK(b.port == 5080);
  CHECK(b.transport == "tcp");
  CHECK(b.interval_ms == 1500);
  CHECK(b.timeout_ms == 1500);
  CHECK(b.rise == 1);
  CHECK(b.fall == 100);
  CHECK(b.alive_codes == "200, 300-399");
  CHECK(b.sip_uri == "sips:ping@example.net");

  CHECK(f.run({"backend", "add", "ping", "--address", "192.0.2.20", "--probe", "icmp",
               "--interval", "250ms", "--timeout", "100ms"}).code == 0);
  CHECK(f.run({"backend", "add", "conn", "--address", "192.0.2.21", "--probe", "tcp", "--port",
               "443"}).code == 0);
}

TEST_CASE("backend add: each bad argument names its field, exits 1 or 2, changes nothing") {
  test::CliFixture f;
  REQUIRE(f.run({"backend", "add", "sip1", "--address", "192.0.2.10", "--probe", "sip-options"}).code == 0);
  std::string before = f.dump();
  struct Case {
    std::vector<std::string> args;
    int code;
    std::string message;
  };
  const std::vector<std::string> base = {"--address", "192.0.2.10", "--probe", "sip-options"};
  auto with = [&](std::vector<std::string> extra, std::string name = "x") {
    std::vector<std::string> a = {"backend", "add", name};
    a.insert(a.end(), base.begin(), base.end());
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  };
  std::vector<Case> cases = {
      {with({"--interval", "5x"}), 1, "backend add: --interval '5x' is not a duration (use 250ms, 1s, 1m)"},
      {with({"--timeout", "1"}), 1, "backend add: --timeout '1' is not a duration"},
      {with({"--timeout", "2s"}), 1, "backend add: --timeout 2s is longer than --interval 1s"},
      {with({"--interval", "500ms"}), 1, "--timeout 800ms is longer than --interval 500ms"},
      {with({"--timeout", "0ms"}), 1, "backend add: --timeout must be above 0"},
      {with({"--interval", "5ms", "--timeout", "1ms"}), 1, "backend add: --interval 5ms is out of range"},
      {with({"--interval", "2m"}), 0, ""},  // placeholder, replaced below
      {with({"--port", "0"}), 1, "backend add: --port '0' is out of range (allowed 1..65535)"},
      {with({"--port", "65536"}), 1, "backend add: --port '65536' is out of range"},
      {with({"--port", "http"}), 1, "backend add: --port 'http' is not a number"},
      {with({"--rise", "0"}), 1, "backend add: --rise '0' is out of range (allowed 1..100)"},
      {with({"--fall", "101"}), 1, "backend add: --fall '101' is out of range (allowed 1..100)"},
      {with({"--transport", "sctp"}), 1, "backend add: --transport 'sctp' is not one of udp, tcp"},
      {with({"--alive-codes", "200-700"}), 1, "backend add: --alive-codes '200-700': alive codes: bad part"},
      {with({"--alive-codes", "299-200"}), 1, "runs backwards"},
      {with({"--alive-codes", ""}), 1, "backend add: --alive-codes '': alive codes: empty list"},
      {with({"--sip-uri", "http://x"}), 1, "backend add: --sip-uri 'http://x' must start with sip: or sips:"},
      {with({"--sip-uri", "sip:a b"}), 1, "backend add: --sip-uri 'sip:a b' contains a blank"},
      {with({"--sip-uri", "sip:"}), 1, "must start with sip: or sips:"},
      {with({}, "bad name"), 1, "backend add: NAME 'bad name' is not a backend name"},
      {with({}, std::string(65, 'a')), 1, "is not a backend name (1 to 64"},
      {with({}, ""), 1, "is not a backend name"},
      {with({}, "sip1"), 2, "backend add: backend 'sip1' already exists"},
      {{"backend", "add", "x", "--probe", "icmp"}, 1, "backend add: --address is required"},
      {{"backend", "add", "x", "--address", "192.0.2.1"}, 1, "backend add: --probe is required"},
      {{"backend", "add", "x", "--address", "sip.example.net", "--probe", "icmp"}, 1,
       "backend add: --address 'sip.example.net' is not an IPv4 or IPv6 address"},
      {{"backend", "add", "x", "--address", "192.0.2.300", "--probe", "icmp"}, 1, "--address '192.0.2.300'"},
      {{"backend", "add", "x", "--address", "192.0.2.1", "--probe", "http"}, 1,
       "backend add: --probe 'http' is not one of sip-options, icmp, tcp"},
      {{"backend", "add", "x", "--address", "192.0.2.1", "--probe", "icmp", "--transport", "tcp"}, 1,
       "backend add: --transport tcp is only meaningful with --probe sip-options"},
      {{"backend", "add", "x", "--address", "192.0.2.1", "--probe", "tcp", "--sip-uri", "sip:a"}, 1,
       "backend add: --sip-uri is only meaningful with --probe sip-options"},
      {{"backend", "add", "x", "--address", "192.0.2.1", "--probe", "tcp", "--alive-codes", "200"}, 1,
       "backend add: --alive-codes is only meaningful with --probe sip-options"},
      {{"backend", "add"}, 1, "backend add: NAME is missing"},
      {{"backend", "add", "x", "y", "--address", "192.0.2.1", "--probe", "tcp"}, 1, "unexpected argument 'y'"},
      {{"backend", "add", "x", "--bogus"}, 1, "backend add:"},
  };
  cases[6] = {with({"--interval", "2h"}), 1, "backend add: --interval '2h' is not a duration"};
  for (const auto& c : cases) {
    CAPTURE(c.args);
    auto r = f.run(c.args);
    CHECK(r.code == c.code);
    CHECK_MESSAGE(contains(r.err, c.message), r.err);
    CHECK(r.out.empty());
    CHECK(f.dump() == before);
  }
}

TEST_CASE("backend set: only the given fields change; the result is validated") {
  test::CliFixture f;
  REQUIRE(f.run({"backend", "add", "sip1", "--address", "192.0.2.10", "--probe", "sip-options",
                 "--transport", "tcp", "--sip-uri", "sip:ping@192.0.2.10", "--rise", "4"}).code == 0);
  auto r = f.run({"backend", "set", "sip1", "--port", "5070", "--interval", "2s"});
  REQUIRE_MESSAGE(r.code == 0, r.err);
  auto b = backend(f.db(), "sip1");
  CHECK(b.port == 5070);
  CHECK(b.interval_ms == 2000);
  CHECK(b.timeout_ms == 800);  // untouched
  CHECK(b.rise == 4);
  CHECK(b.transport == "tcp");
  CHECK(b.sip_uri == "sip:ping@192.0.2.10");

  std::string before = f.dump();
  r = f.run({"backend", "set", "sip1", "--interval", "500ms"});  // below the stored timeout
  CHECK(r.code == cli::kExitUsage);
  CHECK(contains(r.err, "backend set: --timeout 800ms is longer than --interval 500ms"));
  CHECK(f.dump() == before);
  r = f.run({"backend", "set", "nosuch", "--port", "1"});
  CHECK(r.code == cli::kExitData);
  CHECK(r.err == "backend set: no backend 'nosuch'\n");
  CHECK(f.dump() == before);
  r = f.run({"backend", "set", "sip1", "--probe", "icmp", "--transport", "tcp"});
  CHECK(r.code == cli::kExitUsage);
  CHECK(contains(r.err, "--transport tcp is only meaningful with --probe sip-options"));
  CHECK(f.dump() == before);

  // Moving away from SIP resets the SIP-only fields that were not given again.
  r = f.run({"backend", "set", "sip1", "--probe", "icmp"});
  REQUIRE_MESSAGE(r.code == 0, r.err);
  CHECK(contains(r.err, "note: --transport reset to udp"));
  CHECK(contains(r.err, "note: --sip-uri cleared"));
  b = backend(f.db(), "sip1");
  CHECK(b.probe == "icmp");
  CHECK(b.transport == "udp");
  CHECK(b.sip_uri.empty());
  CHECK(f.run({"backend", "set", "sip1", "--probe", "sip-options", "--sip-uri", "sip:x@y"}).code == 0);
  CHECK(f.run({"backend", "set", "sip1", "--sip-uri", ""}).code == 0);
  CHECK(backend(f.db(), "sip1").sip_uri.empty());
}

TEST_CASE("backend list: text and JSON") {
  test::CliFixture f;
  auto empty = f.run({"backend", "list", "--json"});
  CHECK(empty.out == "[]\n");
  REQUIRE(f.run({"backend", "add", "b1", "--address", "192.0.2.10", "--probe", "sip-options"}).code == 0);
  REQUIRE(f.run({"backend", "add", "b2", "--address", "2001:db8::2", "--probe", "tcp", "--port", "443"}).code == 0);
  auto text = f.run({"backend", "list"});
  CHECK(text.code == 0);
  CHECK(contains(text.out, "NAME"));
  CHECK(contains(text.out, "b1    192.0.2.10:5060"));
  CHECK(contains(text.out, "[2001:db8::2]:443"));
  auto r = f.run({"backend", "list", "--json"});
  auto j = test::JsonReader::parse(r.out);
  REQUIRE(j.array.size() == 2);
  CHECK(j[0]["name"].string == "b1");
  CHECK(j[0]["port"].number == 5060);
  CHECK(j[0]["interval_ms"].number == 1000);
  CHECK(j[0]["alive_codes"].string == "200-407,409-499");
  CHECK(j[0]["sip_uri"].is_null());
  CHECK(j[0]["drained"].boolean == false);
  CHECK(j[0]["records"].number == 0);
  CHECK(j[1]["address"].string == "2001:db8::2");
  CHECK(j[1]["probe"].string == "tcp");
}

TEST_CASE("backend rm: refused while records use it, --force ungoverns them") {
  test::CliFixture f;
  REQUIRE(f.import(test::kGovernedZone).code == 0);
  REQUIRE(f.run({"backend", "add", "sip1", "--address", "192.0.2.10", "--probe", "sip-options"}).code == 0);
  REQUIRE(f.run({"backend", "add", "idle", "--address", "192.0.2.99", "--probe", "icmp"}).code == 0);
  REQUIRE(f.run({"record", "set-backend", "sip.example.net.", "A", "192.0.2.10", "--backend", "sip1"}).code == 0);
  REQUIRE(f.run({"record", "set-backend", "sip.example.net.", "A", "192.0.2.11", "--backend", "sip1",
                 "--priority", "5"}).code == 0);
  uint32_t serial = serial_of(f.db());
  std::string before = f.dump();
  auto r = f.run({"backend", "rm", "sip1"});
  CHECK(r.code == cli::kExitData);
  CHECK(contains(r.err, "backend rm: backend 'sip1' governs 2 records (2 in example.net.)"));
  CHECK(contains(r.err, "--force"));
  CHECK(f.dump() == before);
  CHECK(f.run({"backend", "rm", "nosuch"}).code == cli::kExitData);
  CHECK(f.dump() == before);

  CHECK(f.run({"backend", "rm", "idle"}).out == "removed backend idle\n");
  CHECK(serial_of(f.db()) == serial);  // no records: no answers changed

  r = f.run({"backend", "rm", "sip1", "--force"});
  REQUIRE_MESSAGE(r.code == 0, r.err);
  CHECK(r.out == fmt::format("removed backend sip1; 2 records now ungoverned (example.net. serial {})\n",
                             serial + 1));
  CHECK(serial_of(f.db()) == serial + 1);
  store::Db db(f.db());
  CHECK(store::list_backends(db).empty());
  CHECK(store::governed_counts(db).empty());
  CHECK(store::find_zone(db, "example.net.")->record_count == 6);  // the records stay
}

TEST_CASE("backend drain/resume: flag, events, serial bumps, no-ops") {
  test::CliFixture f;
  REQUIRE(f.import(test::kGovernedZone).code == 0);
  REQUIRE(f.import("$ORIGIN example.org.\n@ 60 SOA ns1 h 7 1 1 1 30\n@ 60 NS ns1\nns1 60 A 192.0.2.1\n"
                   "sip 30 A 192.0.2.10\n", "org.zone").code == 0);
  REQUIRE(f.import("$ORIGIN other.net.\n@ 60 SOA ns1 h 40 1 1 1 30\n@ 60 NS ns1\nns1 60 A 192.0.2.1\n",
                   "other.zone").code == 0);
  REQUIRE(f.run({"backend", "add", "sip1", "--address", "192.0.2.10", "--probe", "sip-options"}).code == 0);
  REQUIRE(f.run({"record", "set-backend", "sip.example.net.", "A", "192.0.2.10", "--backend", "sip1"}).code == 0);
  REQUIRE(f.run({"record", "set-backend", "sip.example.org.", "A", "192.0.2.10", "--backend", "sip1"}).code == 0);
  {
    store::Db db(f.db());
    store::BackendState s;
    s.backend_id = store::find_backend(db, "sip1")->id;
    s.state = "up";
    s.since_ms = 1000;
    store::save_backend_state(db, s);
  }
  uint32_t net = serial_of(f.db()), org = serial_of(f.db(), "example.org.");
  uint32_t other = serial_of(f.db(), "other.net.");

  auto r = f.run({"backend", "drain", "sip1", "--reason", "kernel update"});
  REQUIRE_MESSAGE(r.code == 0, r.err);
  CHECK(r.out == fmt::format("drained backend sip1 (up -> drained); example.net. serial {}, "
                             "example.org. serial {}\n", net + 1, org + 1));
  auto b = backend(f.db(), "sip1");
  CHECK(b.drained);
  CHECK(b.drain_reason == "kernel update");
  CHECK(serial_of(f.db()) == net + 1);
  CHECK(serial_of(f.db(), "example.org.") == org + 1);
  CHECK(serial_of(f.db(), "other.net.") == other);  // not governed by sip1

  // Draining again changes nothing (documented in --help), exit 0.
  std::string before = f.dump();
  r = f.run({"backend", "drain", "sip1", "--reason", "other"});
  CHECK(r.code == 0);
  CHECK(r.out == "backend sip1 is already drained: kernel update; nothing changed\n");
  CHECK(f.dump() == before);
  CHECK(contains(f.run({"backend", "drain", "--help"}).out, "changes nothing"));

  r = f.run({"backend", "resume", "sip1"});
  REQUIRE_MESSAGE(r.code == 0, r.err);
  CHECK(contains(r.out, "resumed backend sip1 (drained -> up)"));
  CHECK_FALSE(backend(f.db(), "sip1").drained);
  CHECK(backend(f.db(), "sip1").drain_reason.empty());
  CHECK(serial_of(f.db()) == net + 2);
  before = f.dump();
  r = f.run({"backend", "resume", "sip1"});
  CHECK(r.code == 0);
  CHECK(r.out == "backend sip1 is not drained; nothing changed\n");
  CHECK(f.dump() == before);

  store::Db db(f.db());
  auto events = store::recent_events(db, 10);
  REQUIRE(events.size() == 2);
  CHECK(events[0].backend == "sip1");
  CHECK(events[0].from_state == "up");
  CHECK(events[0].to_state == "drained");
  CHECK(events[0].reason == "drained by operator: kernel update");
  CHECK(events[1].from_state == "drained");
  CHECK(events[1].to_state == "up");
  CHECK(events[1].reason == "resumed by operator");
  CHECK(events[0].at_ms <= events[1].at_ms);
}

TEST_CASE("backend drain: errors and a backend that governs nothing") {
  test::CliFixture f;
  REQUIRE(f.run({"backend", "add", "b", "--address", "192.0.2.10", "--probe", "icmp"}).code == 0);
  std::string before = f.dump();
  CHECK(f.run({"backend", "drain", "nosuch"}).code == cli::kExitData);
  CHECK(f.run({"backend", "drain"}).code == cli::kExitUsage);
  CHECK(f.run({"backend", "drain", "b", "--reason", "two\nlines"}).code == cli::kExitUsage);
  CHECK(f.run({"backend", "resume", "b", "--reason", "x"}).code == cli::kExitUsage);
  CHECK(f.dump() == before);
  auto r = f.run({"backend", "drain", "b"});
  CHECK(r.out == "drained backend b (unknown -> drained); it governs no records\n");
  store::Db db(f.db());
  CHECK(store::recent_events(db, 1).at(0).reason == "drained by operator");
}

TEST_CASE("backend: usage and help list every option with its default") {
  test::CliFixture f;
  CHECK(f.run({"backend"}).code == cli::kExitUsage);
  CHECK(f.run({"backend", "frob"}).code == cli::kExitUsage);
  auto top = f.run({"--help"});
  for (const char* cmd : {"backend add", "backend set", "backend rm", "backend list", "backend drain",
                          "backend resume", "rrset set", "status", "events", "record set-backend"}) {
    CAPTURE(cmd);
    CHECK(contains(top.out, cmd));
  }
  auto add = f.run({"backend", "add", "--help"});
  CHECK(add.code == 0);
  // cxxopts wraps long descriptions: compare with runs of blanks collapsed.
  std::string flat;
  for (char c : add.out) {
    bool blank = c == ' ' || c == '\n';
    if (!blank || (!flat.empty() && flat.back() != ' ')) flat += blank ? ' ' : c;
  }
  add.out = flat;
  for (const char* opt : {"--address", "--port", "(default: 5060)", "--probe", "--transport",
                          "(default: udp)", "--interval", "(default: 1s)", "--timeout",
                          "(default: 800ms)", "--rise", "(default: 2)", "--fall", "(default: 3)",
                          "--alive-codes", "(default: 200-407,409-499)", "--sip-uri"}) {
    CAPTURE(std::string(opt));
    CHECK(contains(add.out, opt));
  }
  CHECK(contains(f.run({"backend", "set", "--help"}).out, "--alive-codes"));
  CHECK(contains(f.run({"backend", "rm", "--help"}).out, "--force"));
  CHECK(contains(f.run({"backend", "list", "--help"}).out, "--json"));
}
