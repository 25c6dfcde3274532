// HealthState: the up/down decision for one backend, from probe verdicts.
// Pure and clock-free: the caller feeds verdicts in order and persists
// transitions. Thresholds as dnsdist's submitHealthCheckResult and gdnsd's
// mon.c: `fall` consecutive failures take an up backend down, `rise`
// consecutive successes bring a down backend up. A backend never probed is
// Unknown; its first verdict decides at once, so a backend that is already
// dead when fodns starts is left out of the very first answers.
// An operator's drain overrides everything (dnsdist Availability::Down).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace fodns::health {

enum class State : uint8_t { Unknown, Up, Down };
std::string_view state_name(State s);
bool parse_state(std::string_view text, State* out);

struct Thresholds {
  int rise = 2;
  int fall = 3;
};

class HealthState {
 public:
  HealthState() = default;
  HealthState(State s, int successes, int failures)
      : state_(s), successes_(successes), failures_(failures) {}

  /// Records one verdict; returns the new state if it changed.
  std::optional<State> record(bool ok, const Thresholds& t);

  State state() const { return state_; }
  int successes() const { return successes_; }
  int failures() const { return failures_; }
  /// True when the next verdict(s) may flip the state: probe faster then.
  bool change_pending() const;

 private:
  State state_ = State::Unknown;
  int successes_ = 0;  // consecutive
  int failures_ = 0;   // consecutive
};

/// What the answers use: drained or down is not served; unknown counts as up.
inline bool serving(State s, bool drained) { return !drained && s != State::Down; }

}  // namespace fodns::health
