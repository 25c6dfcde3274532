// health::HealthTable on its own: no probes, no SQLite. States reach storage
// only through the StateStore interface; a store that fails keeps them dirty.
#include "health/health_table.h"

#include <doctest/doctest.h>

#include <stdexcept>

using namespace fodns;

namespace {
int64_t table_now = 0;
int64_t table_clock() { return table_now; }

struct FakeStore : health::StateStore {
  std::vector<health::BackendState> rows;
  bool fail = false;
  void save(std::span<const health::BackendState* const> states) override {
    if (fail) throw std::runtime_error("disk full");
    for (const auto* s : states) rows.push_back(*s);
  }
};

health::Verdict ok_verdict() { return {true, 1500, "ok", ""}; }
health::Verdict timeout_verdict() { return {false, -1, "timeout", "timeout after 800 ms"}; }
}  // namespace

TEST_CASE("health table: verdicts make transitions; a drained or down backend is not served") {
  table_now = 1'000;
  health::HealthTable table(table_clock);
  table.sync({{7, "sip-a", {2, 2}, false}, {8, "sip-b", {2, 2}, true}}, {});
  CHECK(table.wait_for_unknown() == std::vector<int64_t>{7, 8});
  CHECK(table.startup_pending());
  CHECK(table.serving(7));
  CHECK_FALSE(table.serving(8));  // drained
  CHECK(table.serving(99));       // unknown to the table: stays served

  auto r = table.record(7, ok_verdict());
  CHECK(r.known);
  CHECK(r.changed);  // unknown -> up at the first verdict
  CHECK(table.record(8, timeout_verdict()).changed);
  CHECK_FALSE(table.startup_pending());
  CHECK_FALSE(table.record(42, ok_verdict()).known);

  CHECK(table.record(7, timeout_verdict()).change_pending);
  table_now = 2'000;
  r = table.record(7, timeout_verdict());
  CHECK(r.changed);
  CHECK_FALSE(table.serving(7));
  auto transitions = table.take_transitions();
  REQUIRE(transitions.size() == 3);
  CHECK(transitions[2].backend == "sip-a");
  CHECK(transitions[2].to == health::State::Down);
  CHECK(transitions[2].reason == "2 consecutive failures, last: timeout after 800 ms");
  CHECK(table.find(7)->failovers_down == 1);
  CHECK(table.find(7)->saved.since_ms == 2'000);
  CHECK(table.take_transitions().empty());
}

TEST_CASE("health table: a failed save leaves the states to be written by the next one") {
  table_now = 1'000;
  health::HealthTable table(table_clock);
  table.sync({{1, "a", {2, 3}, false}}, {});
  for (int i = 0; i < 3; ++i) table.record(1, timeout_verdict());  // failures reach the cap, max(rise, fall)
  FakeStore store;
  store.fail = true;
  CHECK_THROWS(table.save_dirty(store));
  store.fail = false;
  auto ids = table.save_dirty(store);
  CHECK(ids == std::vector<int64_t>{1});
  REQUIRE(store.rows.size() == 1);
  CHECK(store.rows[0].state == "down");
  CHECK(store.rows[0].last_error == "timeout after 800 ms");
  table.mark_saved(ids);
  CHECK(table.save_dirty(store).empty());  // nothing changed since
  // One more failure past the cap changes nothing the row says: not rewritten before the refresh interval.
  table.record(1, timeout_verdict());
  CHECK(table.save_dirty(store).empty());
  table_now += health::kStateRefreshMs;
  table.record(1, timeout_verdict());
  CHECK(table.save_dirty(store).size() == 1);
}

TEST_CASE("health table: a stored state is taken back at sync and kept across config edits") {
  table_now = 5'000;
  health::HealthTable table(table_clock);
  health::BackendState down;
  down.backend_id = 3;
  down.state = "down";
  down.failures = 3;
  table.sync({{3, "c", {2, 3}, false}}, {{3, down}});
  CHECK_FALSE(table.serving(3));
  FakeStore store;
  CHECK(table.save_dirty(store).empty());  // read back, not dirty
  table.record(3, ok_verdict());
  table.sync({{3, "c-renamed", {1, 3}, false}}, {});  // a config edit: health stays
  CHECK(table.find(3)->health.successes() == 1);
  CHECK(table.find(3)->config.name == "c-renamed");
  CHECK(table.record(3, ok_verdict()).changed);  // rise is 1 now... the second success brings it up
  CHECK(table.serving(3));
}
