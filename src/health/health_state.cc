#include "health/health_state.h"

namespace fodns::health {

std::string_view state_name(State s) {
  switch (s) {
    case State::Unknown: return "unknown";
    case State::Up: return "up";
    case State::Down: return "down";
  }
  return "unknown";
}

bool parse_state(std::string_view text, State* out) {
  for (State s : {State::Unknown, State::Up, State::Down}) {
    if (text == state_name(s)) {
      *out = s;
      return true;
    }
  }
  return false;
}

std::optional<State> HealthState::record(bool ok, const Thresholds& t) {
  if (ok) {
    ++successes_;
    failures_ = 0;
  } else {
    ++failures_;
    successes_ = 0;
  }
  State next = state_;
  switch (state_) {
    case State::Unknown: next = ok ? State::Up : State::Down; break;
    case State::Up:
      if (failures_ >= t.fall) next = State::Down;
      break;
    case State::Down:
      if (successes_ >= t.rise) next = State::Up;
      break;
  }
  if (next == state_) return std::nullopt;
  state_ = next;
  return next;
}

bool HealthState::change_pending() const {
  return (state_ == State::Up && failures_ > 0) || (state_ == State::Down && successes_ > 0);
}

}  // namespace fodns::health
