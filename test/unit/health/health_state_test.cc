// The rise/fall state machine, fed made-up verdicts (no network, no clock),
// as pdns test-dnsdistbackend_cc.cc test_MaxCheckFailures does.
#include "health/health_state.h"

#include <doctest/doctest.h>

using fodns::health::HealthState;
using fodns::health::serving;
using fodns::health::State;
using fodns::health::Thresholds;

TEST_CASE("unknown: the first verdict decides at once") {
  HealthState a;
  CHECK(a.state() == State::Unknown);
  CHECK(a.record(false, {2, 3}) == State::Down);
  HealthState b;
  CHECK(b.record(true, {2, 3}) == State::Up);
}

TEST_CASE("up goes down after exactly `fall` consecutive failures") {
  Thresholds t{2, 3};
  HealthState h(State::Up, 5, 0);
  CHECK(!h.record(false, t));
  CHECK(!h.record(false, t));
  CHECK(h.change_pending());
  CHECK(h.record(false, t) == State::Down);
  CHECK(h.state() == State::Down);
}

TEST_CASE("a success in between resets the failure count") {
  Thresholds t{2, 3};
  HealthState h(State::Up, 0, 0);
  h.record(false, t);
  h.record(false, t);
  h.record(true, t);
  CHECK(!h.change_pending());
  h.record(false, t);
  h.record(false, t);
  CHECK(h.state() == State::Up);
  CHECK(h.record(false, t) == State::Down);
}

TEST_CASE("down comes back after exactly `rise` consecutive successes") {
  Thresholds t{2, 3};
  HealthState h(State::Down, 0, 4);
  CHECK(!h.record(true, t));
  CHECK(!h.record(false, t));  // a failure restarts the count
  CHECK(!h.record(true, t));
  CHECK(h.record(true, t) == State::Up);
}

TEST_CASE("fall 1 / rise 1 flip on every changed verdict") {
  Thresholds t{1, 1};
  HealthState h(State::Up, 0, 0);
  CHECK(h.record(false, t) == State::Down);
  CHECK(h.record(true, t) == State::Up);
  CHECK(!h.record(true, t));
}

TEST_CASE("serving: drained and down are out, unknown counts as up") {
  CHECK(serving(State::Up, false));
  CHECK(serving(State::Unknown, false));
  CHECK(!serving(State::Down, false));
  CHECK(!serving(State::Up, true));
}
