// `fodns backend show`, the state column of `backend list`, `events --backend/--since`.
#include <doctest/doctest.h>

#include "cli_fixture.h"
#include "mini_json.h"
#include "store/backend_repo.h"

using namespace fodns;
using test::contains;

namespace {

// sip-a governs sip 192.0.2.10 (and so the SRV whose target is sip), up for 5 minutes,
// healed after a timeout; sip-b down. Events: sip-a two (one 2 h old), sip-b one.
void populate(test::CliFixture& f) {
  REQUIRE(f.import(test::kGovernedZone).code == 0);
  REQUIRE(f.run({"backend", "add", "sip-a", "--address", "192.0.2.10", "--probe", "sip-options",
                 "--interval", "2s", "--fall", "4"}).code == 0);
  REQUIRE(f.run({"backend", "add", "sip-b", "--address", "192.0.2.11", "--probe", "tcp"}).code == 0);
  REQUIRE(f.run({"record", "set-backend", "sip.example.net.", "A", "192.0.2.10", "--backend",
                 "sip-a"}).code == 0);
  REQUIRE(f.run({"rrset", "set", "sip.example.net.", "A", "--all-down", "closed"}).code == 0);
  int64_t now = store::unix_now_ms();
  store::Db db(f.db());
  store::BackendState a;
  a.backend_id = store::find_backend(db, "sip-a")->id;
  a.state = "up";
  a.since_ms = now - 300'000;
  a.last_check_ms = now - 1000;
  a.last_rtt_us = 2500;
  a.last_result = "ok";
  a.last_error = "timeout after 800 ms";
  a.successes = 9;
  store::save_backend_state(db, a);
  store::BackendState bs = a;
  bs.backend_id = store::find_backend(db, "sip-b")->id;
  bs.state = "down";
  bs.last_result = "refused";
  bs.last_error = "connection refused";
  store::save_backend_state(db, bs);
  store::insert_event(db, now - 7'200'000, a.backend_id, "sip-a", "unknown", "up", "2 successes");
  store::insert_event(db, now - 400'000, a.backend_id, "sip-a", "up", "down", "4 failures: timeout");
  store::insert_event(db, now - 300'000, bs.backend_id, "sip-b", "up", "down", "3 failures: refused");
}

}  // namespace

TEST_CASE("backend show: settings, state, last result, what it governs, its events") {
  test::CliFixture f;
  populate(f);
  auto r = f.run({"backend", "show", "sip-a"});
  REQUIRE_MESSAGE(r.code == 0, r.err);
  CHECK(contains(r.out, "backend sip-a\n"));
  CHECK(contains(r.out, "192.0.2.10:5060"));
  CHECK(contains(r.out, "sip-options/udp every 2s, timeout 800ms, down after 4 failures"));
  CHECK(contains(r.out, "state     up since "));
  CHECK(contains(r.out, "(for 5m0"));
  CHECK(contains(r.out, "last      ok (1"));
  CHECK_FALSE(contains(r.out, "timeout after 800 ms"));  // healed: the old error is no news
  CHECK(contains(r.out, "rtt 2.5ms"));
  CHECK(contains(r.out, "governs 1 record\n  sip.example.net. A 192.0.2.10  (zone example.net., "
                        "priority 0, all down: closed)"));
  CHECK(contains(r.out, "_sip._udp.example.net. SRV 10 50 5060 sip.example.net."));
  CHECK(contains(r.out, "recent events (2)"));
  CHECK(contains(r.out, "up -> down  4 failures: timeout"));
  CHECK_FALSE(contains(r.out, "refused"));  // sip-b's event

  auto j = test::JsonReader::parse(f.run({"backend", "show", "sip-a", "--json"}).out);
  CHECK(j["name"].string == "sip-a");
  CHECK(j["interval_ms"].number == 2000);
  CHECK(j["fall"].number == 4);
  CHECK(j["state"].string == "up");
  CHECK(j["last_result"].string == "ok");
  CHECK(j["last_error"].is_null());
  CHECK(j["last_rtt_ms"].number == doctest::Approx(2.5));
  REQUIRE(j["governs"].array.size() == 1);
  CHECK(j["governs"][0]["name"].string == "sip.example.net.");
  CHECK(j["governs"][0]["type"].string == "A");
  CHECK(j["governs"][0]["rdata"].string == "192.0.2.10");
  CHECK(j["governs"][0]["all_down"].string == "closed");
  REQUIRE(j["srv_via_target"].array.size() == 1);
  CHECK(j["srv_via_target"][0]["name"].string == "_sip._udp.example.net.");
  REQUIRE(j["events"].array.size() == 2);
  CHECK(j["events"][1]["to"].string == "down");

  auto b = test::JsonReader::parse(f.run({"backend", "show", "sip-b", "--json"}).out);
  CHECK(b["last_error"].string == "connection refused");
  CHECK(b["governs"].array.empty());

  CHECK(f.run({"backend", "show", "nosuch"}).code == cli::kExitData);
  CHECK(f.run({"backend", "show"}).code == cli::kExitUsage);
}

TEST_CASE("backend list has a state column; a drain wins") {
  test::CliFixture f;
  populate(f);
  REQUIRE(f.run({"backend", "drain", "sip-b"}).code == 0);
  auto r = f.run({"backend", "list"});
  REQUIRE(r.code == 0);
  CHECK(contains(r.out, "STATE"));
  CHECK(contains(r.out, "sip-options/udp  up "));
  CHECK(contains(r.out, "tcp              drained "));
  auto j = test::JsonReader::parse(f.run({"backend", "list", "--json"}).out);
  CHECK(j[0]["state"].string == "up");
  CHECK(j[1]["state"].string == "drained");
}

TEST_CASE("events --backend NAME and --since DURATION") {
  test::CliFixture f;
  populate(f);
  auto j = test::JsonReader::parse(f.run({"events", "--backend", "sip-a", "--json"}).out);
  REQUIRE(j.array.size() == 2);
  CHECK(j[0]["backend"].string == "sip-a");
  CHECK(j[1]["backend"].string == "sip-a");
  j = test::JsonReader::parse(f.run({"events", "--since", "1h", "--json"}).out);
  REQUIRE(j.array.size() == 2);  // the 2-hour-old one is left out
  CHECK(j[0]["reason"].string == "4 failures: timeout");
  j = test::JsonReader::parse(f.run({"events", "--since", "6m", "--backend", "sip-b", "--json"}).out);
  REQUIRE(j.array.size() == 1);
  CHECK(j[0]["backend"].string == "sip-b");
  CHECK(f.run({"events", "--since", "3d", "--backend", "gone"}).out == "no events\n");
  auto bad = f.run({"events", "--since", "yesterday"});
  CHECK(bad.code == cli::kExitUsage);
  CHECK(contains(bad.err, "--since 'yesterday'"));
  CHECK(f.run({"events", "--since", "0s"}).code == cli::kExitUsage);
  CHECK(f.run({"events", "--backend", "bad name!"}).code == cli::kExitUsage);
}
