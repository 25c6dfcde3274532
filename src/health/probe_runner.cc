#include "health/probe_runner.h"

#include <cstring>

#include "common/log.h"

namespace fodns::health {

struct ProbeRunner::Session {
  ProbeRunner* runner = nullptr;
  ProbeSpec spec;
  std::unique_ptr<probes::Probe> probe;
  uv_timer_t* timer = nullptr;  // heap: freed by its close callback, which may outlive the Session
  uint64_t due_us = 0;          // loop time (uv_now) at which the timer is due, in microseconds
};

namespace {
bool same_target(const probes::Target& a, const probes::Target& b) {
  return a.addr_len == b.addr_len && std::memcmp(&a.addr, &b.addr, a.addr_len) == 0 &&
         a.kind == b.kind && a.transport == b.transport && a.timeout == b.timeout &&
         a.alive.text() == b.alive.text() && a.sip_uri == b.sip_uri && a.name == b.name;
}
void close_timer(uv_timer_t* t) {
  t->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(t), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
}
}  // namespace

ProbeRunner::ProbeRunner(uv_loop_t* loop, Factory factory, OnResult on_result, ScheduleStats* stats)
    : loop_(loop),
      factory_(std::move(factory)),
      on_result_(std::move(on_result)),
      stats_(stats ? stats : &schedule_stats()),
      rng_(std::random_device{}()) {}

ProbeRunner::~ProbeRunner() {
  for (auto& [id, s] : sessions_) close_timer(s->timer);
}

void ProbeRunner::sync(const std::vector<ProbeSpec>& specs) {
  std::map<int64_t, const ProbeSpec*> wanted;
  for (const auto& s : specs) wanted[s.backend_id] = &s;
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    auto w = wanted.find(it->first);
    if (w == wanted.end() || !same_target(w->second->target, it->second->spec.target)) {
      close_timer(it->second->timer);
      it = sessions_.erase(it);  // destroying the probe abandons a run in flight
    } else {
      it->second->spec.interval = w->second->interval;
      ++it;
    }
  }
  for (const auto& spec : specs) {
    if (sessions_.count(spec.backend_id)) continue;
    auto s = std::make_unique<Session>();
    s->runner = this;
    s->spec = spec;
    s->probe = factory_(loop_, spec.target);
    if (!s->probe) continue;  // probing disabled for this target
    s->timer = new uv_timer_t;
    uv_timer_init(loop_, s->timer);
    s->timer->data = s.get();
    arm(*s, true);
    sessions_[spec.backend_id] = std::move(s);
  }
}

void ProbeRunner::arm(Session& s, bool first) {
  auto interval = static_cast<uint64_t>(s.spec.interval.count());
  if (interval == 0) interval = 1;
  uint64_t delay;
  if (first) {
    delay = std::uniform_int_distribution<uint64_t>(0, interval - 1)(rng_);
  } else {
    uint64_t spread = interval / 10;
    delay = interval - spread + std::uniform_int_distribution<uint64_t>(0, 2 * spread)(rng_);
  }
  // libuv counts the delay from the loop's cached time, so the due time is too.
  s.due_us = (uv_now(loop_) + delay) * 1000;
  uv_timer_start(s.timer, on_timer, delay, 0);
}

void ProbeRunner::on_timer(uv_timer_t* t) {
  auto* s = static_cast<Session*>(t->data);
  if (!s) return;
  ProbeRunner* self = s->runner;
  // Measured against the real clock, not the loop's cached time: a callback
  // that held the loop before this one in the same iteration counts as lag.
  uint64_t now_us = uv_hrtime() / 1000;
  self->stats_->record(now_us > s->due_us ? now_us - s->due_us : 0,
                       static_cast<uint64_t>(s->spec.interval.count()) * 1000);
  if (s->probe->running()) {
    ++self->skipped_;
    // At most one log line per 1000 skipped rounds keeps an overloaded loop from logging itself to death.
    if (self->skipped_ - self->last_skip_log_ >= 1000 || self->last_skip_log_ == 0) {
      log::warn("msg=\"probe still running when the next round was due; round skipped\" backend={} skipped_total={}",
                s->spec.target.name, self->skipped_);
      self->last_skip_log_ = self->skipped_;
    }
  } else {
    self->start_round(*s);
  }
  self->arm(*s, false);
}

void ProbeRunner::start_round(Session& s) {
  ++rounds_;
  int64_t id = s.spec.backend_id;
  s.probe->run([this, id](const probes::ProbeResult& r) { on_result_(id, r); });
}

void ProbeRunner::run_now(int64_t backend_id) {
  auto it = sessions_.find(backend_id);
  if (it == sessions_.end() || it->second->probe->running()) return;
  start_round(*it->second);
  arm(*it->second, false);
}

bool ProbeRunner::running(int64_t backend_id) const {
  auto it = sessions_.find(backend_id);
  return it != sessions_.end() && it->second->probe->running();
}

}  // namespace fodns::health
