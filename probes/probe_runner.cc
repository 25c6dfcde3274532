#include "probes/probe_runner.h"

#include <algorithm>
#include <cstring>

#include "common/log.h"

namespace fodns::probes {

struct ProbeRunner::Session {
  ProbeSpec spec;
  std::unique_ptr<probes::Probe> probe;  // null once retired: owned by its heap entries then
  uint64_t due_us = 0;      // the live heap entry; others pointing here are stale
  uint64_t started_us = 0;  // when the last round started
  uint32_t queued = 0;      // heap entries pointing here, live or stale
};

namespace {
bool same_target(const probes::Target& a, const probes::Target& b) {
  return a.addr_len == b.addr_len && std::memcmp(&a.addr, &b.addr, a.addr_len) == 0 &&
         a.kind == b.kind && a.transport == b.transport && a.timeout == b.timeout &&
         a.alive.text() == b.alive.text() && a.sip_uri == b.sip_uri && a.name == b.name;
}
uint64_t now_us() { return uv_hrtime() / 1000; }
constexpr uint64_t kBatchUs = 5000;
}  // namespace

ProbeRunner::ProbeRunner(uv_loop_t* loop, Factory factory, OnResult on_result, health::ScheduleStats* stats)
    : loop_(loop),
      factory_(std::move(factory)),
      on_result_(std::move(on_result)),
      timer_(new uv_timer_t),
      stats_(stats ? stats : &health::schedule_stats()),
      rng_(std::random_device{}()) {
  uv_timer_init(loop_, timer_);
  timer_->data = this;
}

ProbeRunner::~ProbeRunner() {
  timer_->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(timer_), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
  for (; !due_.empty(); due_.pop()) {
    Session* s = due_.top().session;
    if (!s->probe && --s->queued == 0) delete s;
  }
}

void ProbeRunner::retire(std::unique_ptr<Session> s) {
  s->probe.reset();  // abandons a run in flight: its result never arrives
  if (s->queued > 0) s.release();  // deleted by handle_due() when its last entry comes up
}

void ProbeRunner::sync(const std::vector<ProbeSpec>& specs) {
  std::map<int64_t, const ProbeSpec*> wanted;
  for (const auto& s : specs) wanted[s.backend_id] = &s;
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    auto w = wanted.find(it->first);
    if (w == wanted.end() || !same_target(w->second->target, it->second->spec.target)) {
      retire(std::move(it->second));
      it = sessions_.erase(it);
    } else {
      it->second->spec.interval = w->second->interval;
      ++it;
    }
  }
  for (const auto& spec : specs) {
    if (sessions_.count(spec.backend_id)) continue;
    auto s = std::make_unique<Session>();
    s->spec = spec;
    s->probe = factory_(loop_, spec.target);
    if (!s->probe) continue;  // probing disabled for this target
    arm(*s, true);
    sessions_[spec.backend_id] = std::move(s);
  }
  rearm_timer();
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
  schedule(s, now_us() + delay * 1000);
}

void ProbeRunner::schedule(Session& s, uint64_t at_us) {
  ++s.queued;
  s.due_us = at_us;
  due_.push({at_us, &s});  // the previous entry, if any, is stale now
}

void ProbeRunner::expedite(int64_t backend_id) {
  auto it = sessions_.find(backend_id);
  if (it == sessions_.end() || it->second->probe->running()) return;
  Session& s = *it->second;
  uint64_t at = s.started_us + static_cast<uint64_t>(s.spec.interval.count()) * 1000 / 2;
  at = std::max(at, now_us());
  if (at >= s.due_us) return;
  schedule(s, at);
  rearm_timer();
}

void ProbeRunner::rearm_timer() {
  if (due_.empty()) {
    uv_timer_stop(timer_);
    timer_at_us_ = 0;
    return;
  }
  uint64_t at = due_.top().at_us;
  if (timer_at_us_ != 0 && timer_at_us_ <= at) return;  // fires early enough already
  uint64_t now = now_us();
  // libuv counts whole milliseconds from its cached loop time, which lags
  // uv_hrtime(): the timer may fire a little early, and then handle_due()
  // finds nothing and re-arms for at least 1 ms (no spin). Rounding up keeps
  // the early firings rare.
  uint64_t delay_ms = at > now ? (at - now + 999) / 1000 : 0;
  uv_timer_start(timer_, on_timer, delay_ms, 0);
  timer_at_us_ = now + delay_ms * 1000;
}

void ProbeRunner::on_timer(uv_timer_t* t) {
  auto* self = static_cast<ProbeRunner*>(t->data);
  if (!self) return;
  self->timer_at_us_ = 0;
  self->handle_due();
  self->rearm_timer();
}

void ProbeRunner::handle_due() {
  // Measured against the real clock: a callback that held the loop before
  // this one counts as lag. Rounds due within the next kBatchUs (at most a
  // twentieth of their interval) start now, a little early and well inside
  // the ±10% jitter: the loop then wakes at most every kBatchUs for its
  // rounds, and their replies come back together, instead of 10,000 wake-ups
  // a second each taking the CPU from a DNS worker.
  const uint64_t now = now_us();
  while (!due_.empty()) {
    Due d = due_.top();
    if (d.at_us > now) {
      uint64_t interval_us = static_cast<uint64_t>(d.session->spec.interval.count()) * 1000;
      if (d.at_us - now > std::min(kBatchUs, interval_us / 20)) break;
    }
    due_.pop();
    Session* s = d.session;
    --s->queued;
    if (!s->probe) {  // retired by sync()
      if (s->queued == 0) delete s;
      continue;
    }
    if (d.at_us != s->due_us) continue;  // rescheduled by run_now() or expedite()
    stats_->record(now > d.at_us ? now - d.at_us : 0, static_cast<uint64_t>(s->spec.interval.count()) * 1000);
    if (s->probe->running()) {
      ++skipped_;
      // At most one log line per 1000 skipped rounds keeps an overloaded loop from logging itself to death.
      if (skipped_ - last_skip_log_ >= 1000 || last_skip_log_ == 0) {
        log::warn("msg=\"probe still running when the next round was due; round skipped\" backend={} skipped_total={}",
                  s->spec.target.name, skipped_);
        last_skip_log_ = skipped_;
      }
    } else {
      // Safe with `s` held across user code: a probe never calls back from
      // run() (probe.h), so no sync() can retire `s` in here.
      start_round(*s);
    }
    arm(*s, false);
  }
}

void ProbeRunner::start_round(Session& s) {
  ++rounds_;
  s.started_us = now_us();
  // A probe's timeout timer counts from the loop's cached time, which may be
  // old: at start-up it dates from before the database was read, and a
  // timeout that had expired before the first poll would fail every probe.
  uv_update_time(loop_);
  int64_t id = s.spec.backend_id;
  s.probe->run([this, id](const probes::ProbeResult& r) { on_result_(id, r); });
}

void ProbeRunner::run_now(int64_t backend_id) {
  auto it = sessions_.find(backend_id);
  if (it == sessions_.end() || it->second->probe->running()) return;
  start_round(*it->second);
  arm(*it->second, false);
  rearm_timer();
}

bool ProbeRunner::running(int64_t backend_id) const {
  auto it = sessions_.find(backend_id);
  return it != sessions_.end() && it->second->probe->running();
}

}  // namespace fodns::probes
