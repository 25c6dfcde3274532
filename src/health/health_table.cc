#include "health/health_table.h"

#include <algorithm>

#include <fmt/format.h>

#include "common/log.h"

namespace fodns::health {

void HealthTable::sync(const std::vector<MemberConfig>& configs,
                       const std::map<int64_t, BackendState>& states) {
  std::map<int64_t, Member> next;
  for (const auto& c : configs) {
    Member m;
    auto old = members_.find(c.id);
    if (old != members_.end()) {
      // Keep in-memory health across config edits. A drain needs nothing here:
      // the CLI records its event, and the reload that brought it republishes.
      m = old->second;
      m.config = c;
    } else {
      m.config = c;
      auto s = states.find(c.id);
      if (s != states.end()) {
        State st = State::Unknown;
        parse_state(s->second.state, &st);
        m.health = HealthState(st, s->second.successes, s->second.failures);
        m.saved = s->second;
      } else {
        m.saved.backend_id = c.id;
        m.saved.since_ms = now_ms_();
        m.dirty = true;
        dirty_.push_back(c.id);
      }
    }
    next[c.id] = std::move(m);
  }
  members_ = std::move(next);
  by_id_.clear();
  by_id_.reserve(members_.size());
  for (auto& [id, m] : members_) by_id_.emplace(id, &m);
  // Ids of removed backends may stay in dirty_: save_dirty skips them.
}

std::vector<int64_t> HealthTable::wait_for_unknown() {
  std::vector<int64_t> ids;
  for (auto& [id, m] : members_) {
    if (m.health.state() == State::Unknown) {
      startup_waiting_.insert(id);
      ids.push_back(id);
    }
  }
  return ids;
}

bool HealthTable::serving(int64_t backend_id) const {
  auto it = members_.find(backend_id);
  // A record governed by a backend we do not know (removed with --force) stays served.
  if (it == members_.end()) return true;
  return health::serving(it->second.health.state(), it->second.config.drained);
}

const Member* HealthTable::find(int64_t id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : it->second;
}

void HealthTable::mark_dirty(int64_t id, Member& m) {
  if (m.dirty) return;
  m.dirty = true;
  dirty_.push_back(id);
}

HealthTable::Recorded HealthTable::record(int64_t id, const Verdict& v) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return {};
  Member& m = *it->second;
  if (!startup_waiting_.empty()) startup_waiting_.erase(id);
  const Thresholds& th = m.config.thresholds;
  State before = m.health.state();
  // The consecutive counts matter to a restart only up to the thresholds.
  const int cap = std::max(th.rise, th.fall);
  const int successes_before = std::min(m.health.successes(), cap);
  const int failures_before = std::min(m.health.failures(), cap);
  auto changed = m.health.record(v.ok, th);
  int64_t now = now_ms_();
  m.has_result = true;
  m.saved.last_check_ms = now;
  m.saved.last_rtt_us = v.ok ? v.rtt_us : -1;
  bool meaning_changed = changed.has_value() || m.saved.last_result != v.result ||
                         std::min(m.health.successes(), cap) != successes_before ||
                         std::min(m.health.failures(), cap) != failures_before;
  if (m.saved.last_result != v.result) m.saved.last_result = std::string(v.result);
  if (!v.ok && m.saved.last_error != v.detail) {
    m.saved.last_error = std::string(v.detail);
    meaning_changed = true;
  }
  m.saved.successes = m.health.successes();
  m.saved.failures = m.health.failures();
  if (meaning_changed || now - m.stored_ms >= kStateRefreshMs) mark_dirty(id, m);
  Recorded out{true, m.health.change_pending(), changed.has_value()};
  if (!changed) return out;
  m.saved.state = std::string(state_name(*changed));
  if (*changed == State::Down) ++m.failovers_down;
  if (*changed == State::Up && before == State::Down) ++m.failovers_up;
  m.saved.since_ms = now;
  std::string reason;
  if (before == State::Unknown) {
    reason = v.ok ? fmt::format("first probe ok ({:.1f} ms)", v.rtt_us / 1000.0)
                  : fmt::format("first probe failed: {}", v.detail);
  } else if (*changed == State::Down) {
    reason = fmt::format("{} consecutive failures, last: {}", m.health.failures(), v.detail);
  } else {
    reason = fmt::format("{} consecutive successes", m.health.successes());
  }
  log::info("msg=\"backend state changed\" backend={} from={} to={} reason=\"{}\"", m.config.name,
            state_name(before), state_name(*changed), reason);
  transitions_.push_back({id, m.config.name, before, *changed, now, reason});
  return out;
}

std::vector<Transition> HealthTable::take_transitions() {
  std::vector<Transition> out;
  out.swap(transitions_);
  return out;
}

std::vector<int64_t> HealthTable::save_dirty(StateStore& store) {
  std::vector<int64_t> ids;
  std::vector<const BackendState*> states;
  ids.reserve(dirty_.size());
  states.reserve(dirty_.size());
  for (int64_t id : dirty_) {
    if (auto it = by_id_.find(id); it != by_id_.end() && it->second->dirty) {
      ids.push_back(id);
      states.push_back(&it->second->saved);
    }
  }
  if (!states.empty()) store.save(states);  // one batch
  return ids;
}

void HealthTable::mark_saved(const std::vector<int64_t>& ids) {
  int64_t now = now_ms_();
  for (int64_t id : ids) {
    auto it = by_id_.find(id);
    if (it == by_id_.end()) continue;
    it->second->dirty = false;
    // Backdated by up to kStateRefreshMs/2 by id: rows first saved together
    // (all of them at start) come up for refresh over 5 s, not in one batch.
    it->second->stored_ms = now - (id % 8) * (kStateRefreshMs / 16);
  }
  std::erase_if(dirty_, [this](int64_t id) {
    auto it = by_id_.find(id);
    return it == by_id_.end() || !it->second->dirty;
  });
}

}  // namespace fodns::health
