// `fodns status` and `fodns events`, text and JSON (parsed back), from states and events
// stored as `fodns serve` stores them.
#include <doctest/doctest.h>

#include "cli_fixture.h"
#include "mini_json.h"
#include "store/backend_repo.h"
#include "store/zone_repo.h"

using namespace fodns;
using test::contains;

namespace {

// sip1 up (probed, RTT 1.234 ms), sip2 down (SIP 503), ping never probed, sip3 drained.
void populate(test::CliFixture& f) {
  REQUIRE(f.import(test::kGovernedZone).code == 0);
  for (auto args : std::vector<std::vector<std::string>>{
           {"backend", "add", "sip1", "--address", "192.0.2.10", "--probe", "sip-options"},
           {"backend", "add", "sip2", "--address", "2001:db8::2", "--probe", "sip-options",
            "--transport", "tcp"},
           {"backend", "add", "ping", "--address", "192.0.2.30", "--probe", "icmp"},
           {"backend", "add", "sip3", "--address", "192.0.2.40", "--probe", "tcp", "--port", "5061"}}) {
    REQUIRE(f.run(args).code == 0);
  }
  int64_t now = store::unix_now_ms();
  {
    store::Db db(f.db());
    store::BackendState up;
    up.backend_id = store::find_backend(db, "sip1")->id;
    up.state = "up";
    up.since_ms = now - 192'000;  // 3m12s ago
    up.last_check_ms = now - 500;
    up.last_rtt_us = 1234;
    up.last_result = "ok";
    up.successes = 7;
    store::save_backend_state(db, up);
    store::BackendState down = up;
    down.backend_id = store::find_backend(db, "sip2")->id;
    down.state = "down";
    down.last_rtt_us = -1;
    down.last_result = "bad_status";
    down.last_error = "SIP 503 Service Unavailable";
    down.successes = 0;
    down.failures = 4;
    store::save_backend_state(db, down);
    store::insert_event(db, now - 192'000, up.backend_id, "sip1", "unknown", "up", "2 successes");
    store::insert_event(db, now - 100'000, down.backend_id, "sip2", "up", "down",
                        "3 failures: SIP 503 Service Unavailable");
  }
  REQUIRE(f.run({"backend", "drain", "sip3", "--reason", "maintenance \"window\""}).code == 0);
}

}  // namespace

TEST_CASE("status --json: the /status shape") {
  test::CliFixture f;
  populate(f);
  auto r = f.run({"status", "--json"});
  REQUIRE_MESSAGE(r.code == 0, r.err);
  auto j = test::JsonReader::parse(r.out);
  REQUIRE(j["backends"].array.size() == 4);  // by name: ping, sip1, sip2, sip3
  for (const auto& b : j["backends"].array) {
    for (const char* key : {"name", "address", "port", "probe", "transport", "state", "since_ms",
                            "last_check_ms", "last_rtt_ms", "last_result", "last_error",
                            "successes", "failures", "drained", "drain_reason"}) {
      CAPTURE(key);
      CHECK(b.has(key));
    }
  }
  const auto& ping = j["backends"][0];
  CHECK(ping["name"].string == "ping");
  CHECK(ping["state"].string == "unknown");
  CHECK(ping["since_ms"].is_null());
  CHECK(ping["last_rtt_ms"].is_null());
  const auto& sip1 = j["backends"][1];
  CHECK(sip1["state"].string == "up");
  CHECK(sip1["last_rtt_ms"].number == doctest::Approx(1.234));
  CHECK(sip1["successes"].number == 7);
  CHECK(sip1["last_result"].string == "ok");
  CHECK(sip1["port"].number == 5060);
  const auto& sip2 = j["backends"][2];
  CHECK(sip2["state"].string == "down");
  CHECK(sip2["address"].string == "2001:db8::2");
  CHECK(sip2["transport"].string == "tcp");
  CHECK(sip2["last_error"].string == "SIP 503 Service Unavailable");
  CHECK(sip2["failures"].number == 4);
  const auto& sip3 = j["backends"][3];
  CHECK(sip3["state"].string == "drained");  // drained wins
  CHECK(sip3["drained"].boolean);
  CHECK(sip3["drain_reason"].string == "maintenance \"window\"");
  CHECK_FALSE(sip3["since_ms"].is_null());
  REQUIRE(j["zones"].array.size() == 1);
  CHECK(j["zones"][0]["name"].string == "example.net.");
  CHECK(j["zones"][0]["serial"].number == 100);
  CHECK(j["zones"][0]["records"].number == 6);
}

TEST_CASE("status: text") {
  test::CliFixture f;
  auto empty = f.run({"status"});
  CHECK(empty.code == 0);
  CHECK(contains(empty.out, "no backends"));
  populate(f);
  auto r = f.run({"status"});
  REQUIRE_MESSAGE(r.code == 0, r.err);
  CHECK(contains(r.out, "BACKEND"));
  CHECK(contains(r.out, "192.0.2.10:5060"));
  CHECK(contains(r.out, "[2001:db8::2]:5060"));
  CHECK(contains(r.out, "sip-options/tcp"));
  CHECK(contains(r.out, "(for 3m1"));  // 3m12s, or a second more on a slow machine
  CHECK(contains(r.out, "1.2ms"));
  CHECK(contains(r.out, "7/0"));
  CHECK(contains(r.out, "bad_status: SIP 503 Service Unavailable"));
  CHECK(contains(r.out, "never probed"));
  CHECK(contains(r.out, "drained: maintenance \"window\""));
  CHECK(contains(r.out, "example.net.         100"));
  CHECK(f.run({"status", "extra"}).code == cli::kExitUsage);
}

TEST_CASE("status: a healthy backend shows no old error; a stale state says nobody probes") {
  test::CliFixture f;
  REQUIRE(f.import(test::kGovernedZone).code == 0);
  REQUIRE(f.run({"backend", "add", "sip1", "--address", "192.0.2.10", "--probe", "sip-options",
                 "--interval", "1s", "--timeout", "800ms"}).code == 0);
  REQUIRE(f.run({"backend", "add", "sip2", "--address", "192.0.2.11", "--probe", "sip-options",
                 "--interval", "1s", "--timeout", "800ms"}).code == 0);
  int64_t now = store::unix_now_ms();
  auto save = [&](int64_t check_ms) {
    store::Db db(f.db());
    store::BackendState healed;  // failed once, answers again: the error stays stored
    healed.backend_id = store::find_backend(db, "sip1")->id;
    healed.state = "up";
    healed.since_ms = now - 60'000;
    healed.last_check_ms = check_ms;
    healed.last_rtt_us = 900;
    healed.last_result = "ok";
    healed.last_error = "timeout after 800 ms";
    healed.successes = 5;
    store::save_backend_state(db, healed);
    store::BackendState timing_out = healed;
    timing_out.backend_id = store::find_backend(db, "sip2")->id;
    timing_out.state = "down";
    timing_out.last_result = "timeout";
    timing_out.successes = 0;
    timing_out.failures = 3;
    store::save_backend_state(db, timing_out);
  };
  save(now - 500);
  auto r = f.run({"status"});
  REQUIRE(r.code == 0);
  CHECK_FALSE(contains(r.out, "ok: timeout"));
  CHECK(contains(r.out, "  ok ("));
  CHECK(contains(r.out, "  timeout after 800 ms ("));
  CHECK_FALSE(contains(r.out, "timeout: timeout"));
  CHECK_FALSE(contains(r.out, "No server"));
  auto j = test::JsonReader::parse(f.run({"status", "--json"}).out);
  CHECK(j["backends"][0]["last_result"].string == "ok");
  CHECK(j["backends"][0]["last_error"].is_null());
  CHECK(j["backends"][1]["last_error"].string == "timeout after 800 ms");
  CHECK(j["probing"].boolean);

  save(now - 251'000);  // nothing written for 4m11s: no `fodns serve` is probing
  r = f.run({"status"});
  CHECK(r.out.rfind("No server is probing: the newest result is 4m11s old", 0) == 0);
  j = test::JsonReader::parse(f.run({"status", "--json"}).out);
  CHECK_FALSE(j["probing"].boolean);
  CHECK_FALSE(j["probing"].is_null());
}

TEST_CASE("events: newest N, oldest first, text and JSON") {
  test::CliFixture f;
  CHECK(f.run({"events"}).out == "no events\n");
  CHECK(f.run({"events", "--json"}).out == "[]\n");
  populate(f);
  auto all = f.run({"events", "--json"});
  auto j = test::JsonReader::parse(all.out);
  REQUIRE(j.array.size() == 3);
  for (const auto& e : j.array) {
    for (const char* key : {"id", "at_ms", "time", "backend", "from", "to", "reason"}) CHECK(e.has(key));
  }
  CHECK(j[0]["backend"].string == "sip1");
  CHECK(j[1]["to"].string == "down");
  CHECK(j[2]["backend"].string == "sip3");
  CHECK(j[2]["to"].string == "drained");
  CHECK(j[2]["reason"].string == "drained by operator: maintenance \"window\"");
  CHECK(j[0]["time"].string.size() == 24);  // 2026-03-01T12:00:05.123Z

  auto two = f.run({"events", "--limit", "2"});
  REQUIRE(two.code == 0);
  auto first_nl = two.out.find('\n');
  REQUIRE(first_nl != std::string::npos);
  CHECK(contains(two.out.substr(0, first_nl), "sip2     up -> down  3 failures: SIP 503"));
  CHECK(contains(two.out, "sip3     unknown -> drained  drained by operator"));
  CHECK_FALSE(contains(two.out, "sip1"));
  CHECK(two.out[4] == '-');
  CHECK(two.out.substr(23, 3) == "Z  ");

  CHECK(contains(f.run({"events", "--limit", "0"}).err, "events: --limit '0' is out of range"));
  CHECK(f.run({"events", "--limit", "x"}).code == cli::kExitUsage);
  CHECK(contains(f.run({"events", "--help"}).out, "(default: 20)"));
}
