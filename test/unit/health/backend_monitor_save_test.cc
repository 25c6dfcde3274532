// BackendMonitor::save_dirty (src/app/backend_monitor.cc over src/health/health_table.cc): the batched state
// write with one prepared statement saves every dirty backend like
// store::save_backend_state does, skips backends the CLI removed meanwhile,
// and stays fast with 10,000 backends (it runs on the control loop every second).
#include <doctest/doctest.h>
#include <uv.h>

#include <chrono>

#include "app/backend_monitor.h"
#include "store/backend_repo.h"

using namespace fodns;

namespace {
std::unique_ptr<probes::Probe> no_probe(uv_loop_t*, const probes::Target&) { return nullptr; }

int64_t add(store::Db& db, int i) {
  store::Backend b;
  b.name = fmt::format("b{:05}", i);
  b.address = fmt::format("127.1.{}.{}", i / 250, i % 250 + 1);
  b.probe = "sip-options";
  return store::insert_backend(db, b, 1000);
}
}  // namespace

TEST_CASE("backend monitor: save_dirty writes new backends' state, skips removed ones") {
  uv_loop_t loop;
  uv_loop_init(&loop);
  {
    store::Db db(":memory:");
    int64_t a = add(db, 1), b = add(db, 2), c = add(db, 3);
    app::BackendMonitor mon(&loop, no_probe, [] {});
    mon.sync(store::list_backends(db), {});
    store::delete_backend(db, b);  // the CLI removed it after we loaded it
    {
      store::Transaction tx(db);
      auto saved = mon.save_dirty(db);
      tx.commit();
      mon.mark_saved(saved);
    }
    auto states = store::load_backend_states(db);
    CHECK(states.size() == 2);
    REQUIRE(states.count(a));
    REQUIRE(states.count(c));
    CHECK(states.count(b) == 0);
    CHECK(states[a].state == "unknown");
    CHECK(states[a].since_ms > 0);
    CHECK(states[a].last_check_ms == 0);  // stored as NULL: never checked
    CHECK(states[a].successes == 0);

    // Same row as the one-row store function writes.
    store::BackendState s = states[a];
    s.backend_id = c;
    store::save_backend_state(db, s);
    auto again = store::load_backend_states(db);
    CHECK(again[c].state == again[a].state);
    CHECK(again[c].since_ms == again[a].since_ms);
    CHECK(again[c].last_rtt_us == again[a].last_rtt_us);
    CHECK(again[c].last_result == again[a].last_result);
  }
  uv_run(&loop, UV_RUN_NOWAIT);
  CHECK(uv_loop_close(&loop) == 0);
}

TEST_CASE("backend monitor: saving 10,000 states is one short stall, not 10,000 statement compilations") {
  uv_loop_t loop;
  uv_loop_init(&loop);
  {
    store::Db db(":memory:");
    {
      store::Transaction tx(db);
      for (int i = 0; i < 10000; ++i) add(db, i);
      tx.commit();
    }
    app::BackendMonitor mon(&loop, no_probe, [] {});
    mon.sync(store::list_backends(db), {});
    auto t0 = std::chrono::steady_clock::now();
    {
      store::Transaction tx(db);
      auto saved = mon.save_dirty(db);
      tx.commit();
      mon.mark_saved(saved);
    }
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    MESSAGE(fmt::format("10,000 backend states saved in {:.1f} ms", ms));
    CHECK(store::load_backend_states(db).size() == 10000);
    CHECK(ms < 2000);  // ~20 ms in a release build; generous for sanitizers and a shared machine
  }
  uv_run(&loop, UV_RUN_NOWAIT);
  CHECK(uv_loop_close(&loop) == 0);
}

namespace {
int64_t fake_now = 0;
int64_t fake_clock() { return fake_now; }

probes::ProbeResult result(probes::Outcome o, std::string detail = "") {
  probes::ProbeResult r;
  r.outcome = o;
  r.rtt = std::chrono::microseconds(1500);
  r.detail = std::move(detail);
  return r;
}

// Feeds `r` at `at_ms`, saves, and returns the stored row.
store::BackendState feed(store::Db& db, app::BackendMonitor& mon, int64_t id, int64_t at_ms,
                         const probes::ProbeResult& r) {
  fake_now = at_ms;
  mon.record_result(id, r);
  store::Transaction tx(db);
  auto saved = mon.save_dirty(db);
  tx.commit();
  mon.mark_saved(saved);
  return store::load_backend_states(db).at(id);
}
}  // namespace

TEST_CASE("backend monitor: a row is written when its meaning changes, else refreshed every 10 s") {
  uv_loop_t loop;
  uv_loop_init(&loop);
  {
    store::Db db(":memory:");
    int64_t id = add(db, 1);  // rise 2, fall 3: counts matter up to 3
    fake_now = 1'000;
    app::BackendMonitor mon(&loop, no_probe, [] {}, fake_clock);
    mon.sync(store::list_backends(db), {});
    using probes::Outcome;

    auto row = feed(db, mon, id, 2'000, result(Outcome::Ok));
    CHECK(row.state == "up");  // unknown -> up: written
    CHECK(row.last_check_ms == 2'000);
    CHECK(row.successes == 1);
    CHECK(feed(db, mon, id, 3'000, result(Outcome::Ok)).successes == 2);
    CHECK(feed(db, mon, id, 4'000, result(Outcome::Ok)).successes == 3);
    // Past the thresholds nothing a restart needs changes: the row stays.
    row = feed(db, mon, id, 5'000, result(Outcome::Ok));
    CHECK(row.last_check_ms == 4'000);
    CHECK(row.successes == 3);
    CHECK(feed(db, mon, id, 9'000, result(Outcome::Ok)).last_check_ms == 4'000);
    // ... until it is 10 s old (minus a stagger by id of at most 5 s).
    row = feed(db, mon, id, 14'000, result(Outcome::Ok));
    CHECK(row.last_check_ms == 14'000);
    CHECK(row.successes == 6);

    // A failure is written at once, every consecutive one up to fall, and a new error text too.
    row = feed(db, mon, id, 15'000, result(Outcome::Timeout, "timeout after 800 ms"));
    CHECK(row.last_result == "timeout");
    CHECK(row.failures == 1);
    CHECK(row.state == "up");
    CHECK(feed(db, mon, id, 16'000, result(Outcome::Timeout, "timeout after 800 ms")).failures == 2);
    row = feed(db, mon, id, 17'000, result(Outcome::Refused, "ICMP port unreachable"));
    CHECK(row.state == "down");
    CHECK(row.since_ms == 17'000);
    CHECK(row.last_error == "ICMP port unreachable");
    CHECK(feed(db, mon, id, 18'000, result(Outcome::Refused, "ICMP port unreachable")).last_check_ms == 17'000);
    CHECK(feed(db, mon, id, 19'000, result(Outcome::Refused, "UDP send: no buffer")).last_check_ms == 19'000);

    // The counters for /metrics count every check, written or not.
    const auto& t = mon.backends().at(id);
    CHECK(t.checks[static_cast<size_t>(Outcome::Ok)] == 6);
    CHECK(t.checks[static_cast<size_t>(Outcome::Timeout)] == 2);
    CHECK(t.checks[static_cast<size_t>(Outcome::Refused)] == 3);
  }
  uv_run(&loop, UV_RUN_NOWAIT);
  CHECK(uv_loop_close(&loop) == 0);
}

TEST_CASE("backend monitor: a save whose transaction rolls back is written again by the next one") {
  uv_loop_t loop;
  uv_loop_init(&loop);
  {
    store::Db db(":memory:");
    int64_t id = add(db, 1);
    fake_now = 1'000;
    app::BackendMonitor mon(&loop, no_probe, [] {}, fake_clock);
    mon.sync(store::list_backends(db), {});
    feed(db, mon, id, 2'000, result(probes::Outcome::Ok));
    fake_now = 3'000;
    mon.record_result(id, result(probes::Outcome::Refused, "ICMP port unreachable"));
    {
      store::Transaction tx(db);
      CHECK(mon.save_dirty(db).size() == 1);
    }  // rolled back: no commit, no mark_saved
    CHECK(store::load_backend_states(db).at(id).last_result == "ok");
    {
      store::Transaction tx(db);  // the next save, with no new result in between
      auto saved = mon.save_dirty(db);
      tx.commit();
      mon.mark_saved(saved);
    }
    auto row = store::load_backend_states(db).at(id);
    CHECK(row.last_result == "refused");
    CHECK(row.failures == 1);
  }
  uv_run(&loop, UV_RUN_NOWAIT);
  CHECK(uv_loop_close(&loop) == 0);
}
