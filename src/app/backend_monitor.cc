#include "app/backend_monitor.h"

#include <arpa/inet.h>
#include <sys/resource.h>

#include <algorithm>

#include "common/log.h"

namespace fodns::app {

Result<probes::Target> target_for(const store::Backend& b) {
  probes::Target t;
  t.name = b.name;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&t.addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&t.addr);
  if (inet_pton(AF_INET, b.address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(b.port));
    t.addr_len = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, b.address.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(b.port));
    t.addr_len = sizeof(sockaddr_in6);
  } else {
    return make_error("backend {}: address '{}' is not an IP address", b.name, b.address);
  }
  if (b.probe == "sip-options") t.kind = probes::Kind::SipOptions;
  else if (b.probe == "icmp") t.kind = probes::Kind::Icmp;
  else if (b.probe == "tcp") t.kind = probes::Kind::Tcp;
  else return make_error("backend {}: unknown probe '{}'", b.name, b.probe);
  t.transport = b.transport == "tcp" ? probes::SipTransport::Tcp : probes::SipTransport::Udp;
  t.timeout = std::chrono::milliseconds(b.timeout_ms);
  auto codes = probes::AliveCodes::parse(b.alive_codes);
  if (!codes) return make_error("backend {}: alive codes: {}", b.name, codes.error().message);
  t.alive = *codes;
  t.sip_uri = b.sip_uri;
  return t;
}

namespace {
// Every probe run holds a socket: up to one per backend when all of them time
// out at once (10,000 dead backends: 10,000 sockets for 800 ms). The usual
// soft limit of 1024 would turn that into EMFILE, i.e. "error" verdicts and
// spurious failovers, so raise the soft limit towards the hard one. 2048 more
// for the DNS sockets, TCP clients, SQLite and HTTP.
void ensure_fd_limit(size_t backends) {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
  rlim_t want = static_cast<rlim_t>(backends) + 2048;
  if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
    rlim_t before = rl.rlim_cur;
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ? want : std::min(want, rl.rlim_max);
    if (rl.rlim_cur > before && setrlimit(RLIMIT_NOFILE, &rl) == 0)
      log::info("msg=\"raised the open file limit for the probes\" from={} to={} backends={}", before,
                rl.rlim_cur, backends);
  }
  if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
    log::warn("msg=\"open file limit below one socket per backend; probes may fail with EMFILE\" "
              "limit={} wanted={} backends={}", rl.rlim_cur, want, backends);
  }
}
}  // namespace

BackendMonitor::BackendMonitor(uv_loop_t* loop, probes::ProbeRunner::Factory factory,
                               OnTransition on_transition, Clock now_ms)
    : loop_(loop), on_transition_(std::move(on_transition)), now_ms_(now_ms) {
  runner_ = std::make_unique<probes::ProbeRunner>(
      loop_, std::move(factory), [this](int64_t id, const probes::ProbeResult& r) { record_result(id, r); });
}

void BackendMonitor::sync(const std::vector<store::Backend>& backends,
                          const std::map<int64_t, store::BackendState>& states) {
  std::map<int64_t, TrackedBackend> next;
  std::vector<probes::ProbeSpec> specs;
  for (const auto& b : backends) {
    auto target = target_for(b);
    if (!target) {
      log::error("msg=\"backend not probed\" error=\"{}\"", target.error().message);
      continue;
    }
    TrackedBackend t;
    auto old = backends_.find(b.id);
    if (old != backends_.end()) {
      // Keep in-memory health across config edits. A drain needs nothing here:
      // the CLI records its event, and the reload that brought it republishes.
      t = old->second;
      t.config = b;
    } else {
      t.config = b;
      auto s = states.find(b.id);
      if (s != states.end()) {
        health::State st = health::State::Unknown;
        health::parse_state(s->second.state, &st);
        t.health = health::HealthState(st, s->second.successes, s->second.failures);
        t.saved = s->second;
      } else {
        t.saved.backend_id = b.id;
        t.saved.since_ms = now_ms_();
        t.dirty = true;
        dirty_.push_back(b.id);
      }
    }
    next[b.id] = std::move(t);
    specs.push_back({b.id, *target, std::chrono::milliseconds(b.interval_ms)});
  }
  backends_ = std::move(next);
  by_id_.clear();
  by_id_.reserve(backends_.size());
  for (auto& [id, t] : backends_) by_id_.emplace(id, &t);
  // Ids of removed backends may stay in dirty_: save_dirty skips them.
  if (specs.size() > 256) ensure_fd_limit(specs.size());
  runner_->sync(specs);
}

size_t BackendMonitor::probe_unknown_now() {
  for (auto& [id, t] : backends_) {
    if (t.health.state() == health::State::Unknown) {
      startup_waiting_.insert(id);
      runner_->run_now(id);
    }
  }
  return startup_waiting_.size();
}

bool BackendMonitor::startup_pending() const { return !startup_waiting_.empty(); }

bool BackendMonitor::serving(int64_t backend_id) const {
  auto it = backends_.find(backend_id);
  // A record governed by a backend we do not know (removed with --force) stays served.
  if (it == backends_.end()) return true;
  return health::serving(it->second.health.state(), it->second.config.drained);
}

static_assert(status::kOutcomeNames.size() == static_cast<size_t>(probes::Outcome::Error) + 1,
              "kOutcomeNames lists every probes::Outcome");

void BackendMonitor::mark_dirty(int64_t id, TrackedBackend& t) {
  if (t.dirty) return;
  t.dirty = true;
  dirty_.push_back(id);
}

void BackendMonitor::record_result(int64_t id, const probes::ProbeResult& r) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return;
  TrackedBackend& t = *it->second;
  if (!startup_waiting_.empty()) startup_waiting_.erase(id);
  health::Thresholds th{t.config.rise, t.config.fall};
  health::State before = t.health.state();
  // The consecutive counts matter to a restart only up to the thresholds.
  const int cap = std::max(th.rise, th.fall);
  const int successes_before = std::min(t.health.successes(), cap);
  const int failures_before = std::min(t.health.failures(), cap);
  auto changed = t.health.record(r.ok(), th);
  int64_t now = now_ms_();
  t.has_result = true;
  t.saved.last_check_ms = now;
  t.saved.last_rtt_us = r.ok() ? r.rtt.count() : -1;
  std::string_view result = probes::outcome_name(r.outcome);
  bool meaning_changed = changed.has_value() || t.saved.last_result != result ||
                         std::min(t.health.successes(), cap) != successes_before ||
                         std::min(t.health.failures(), cap) != failures_before;
  if (t.saved.last_result != result) t.saved.last_result = std::string(result);
  if (!r.ok() && t.saved.last_error != r.detail) {
    t.saved.last_error = r.detail;
    meaning_changed = true;
  }
  ++t.checks[static_cast<size_t>(r.outcome)];
  if (r.ok()) {
    double secs = static_cast<double>(r.rtt.count()) / 1e6;
    size_t b = 0;
    while (b < status::kRttBuckets.size() && secs > status::kRttBuckets[b]) ++b;
    ++t.rtt.counts[b];
    t.rtt.sum += secs;
    ++t.rtt.count;
  }
  t.saved.successes = t.health.successes();
  t.saved.failures = t.health.failures();
  if (meaning_changed || now - t.stored_ms >= kStateRefreshMs) mark_dirty(id, t);
  // A change is under way (a failure while up, a success while down): the
  // next rounds come at half the interval, so that it is confirmed or
  // dismissed sooner.
  if (t.health.change_pending()) runner_->expedite(id);
  if (!changed) return;
  t.saved.state = std::string(health::state_name(*changed));
  if (*changed == health::State::Down) ++t.failovers_down;
  if (*changed == health::State::Up && before == health::State::Down) ++t.failovers_up;
  t.saved.since_ms = now;
  std::string reason;
  if (before == health::State::Unknown) {
    reason = r.ok() ? fmt::format("first probe ok ({:.1f} ms)", r.rtt.count() / 1000.0)
                    : fmt::format("first probe failed: {}", r.detail);
  } else if (*changed == health::State::Down) {
    reason = fmt::format("{} consecutive failures, last: {}", t.health.failures(), r.detail);
  } else {
    reason = fmt::format("{} consecutive successes", t.health.successes());
  }
  log::info("msg=\"backend state changed\" backend={} from={} to={} reason=\"{}\"", t.config.name,
            health::state_name(before), health::state_name(*changed), reason);
  transitions_.push_back({id, t.config.name, before, *changed, now, reason});
  on_transition_();
}

std::vector<Transition> BackendMonitor::take_transitions() {
  std::vector<Transition> out;
  out.swap(transitions_);
  return out;
}

std::vector<int64_t> BackendMonitor::save_dirty(store::Db& db) {
  std::vector<int64_t> ids;
  std::vector<const store::BackendState*> states;
  ids.reserve(dirty_.size());
  states.reserve(dirty_.size());
  for (int64_t id : dirty_) {
    if (auto it = by_id_.find(id); it != by_id_.end() && it->second->dirty) {
      ids.push_back(id);
      states.push_back(&it->second->saved);
    }
  }
  if (!states.empty()) store::save_backend_states(db, states);  // one prepared statement for the batch
  return ids;
}

void BackendMonitor::mark_saved(const std::vector<int64_t>& ids) {
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

}  // namespace fodns::app
