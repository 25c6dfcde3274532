#include "app/control_loop.h"

#include <malloc.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>

#include "common/log.h"
#include "common/progress.h"
#include "probes/probe.h"
#include "dns/wire.h"
#include "store/backend_repo.h"
#include "store/zone_repo.h"

namespace fodns::app {
namespace {
using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}
}  // namespace

ControlLoop::ControlLoop(ControlLoopConfig config, server::Publisher& publisher,
                         health::ProbeRunner::Factory probe_factory, StatusBoard* board)
    : config_(std::move(config)), publisher_(publisher), board_(board) {
  uv_loop_init(&loop_);
  for (uv_timer_t* t : {&poll_, &save_, &republish_}) {
    uv_timer_init(&loop_, t);
    t->data = this;
  }
  notifier_ = std::make_unique<xfr::Notifier>(&loop_, config_.notify_window_ms);
  monitor_ = std::make_unique<BackendMonitor>(&loop_, std::move(probe_factory), [this] {
    // Coalesce the transitions of one loop iteration into one rebuild.
    uv_timer_start(&republish_, on_republish, 0, 0);
  });
}

ControlLoop::~ControlLoop() {
  monitor_.reset();  // closes probe handles
  notifier_->close();
  for (uv_timer_t* t : {&poll_, &save_, &republish_})
    if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(t))) uv_close(reinterpret_cast<uv_handle_t*>(t), nullptr);
  uv_run(&loop_, UV_RUN_DEFAULT);  // lets every close callback run
  uv_loop_close(&loop_);
}

void ControlLoop::log_error_once(const std::string& what, const std::string& msg) {
  if (msg == last_error_) return;
  log::error("msg=\"{}; still serving the last snapshot\" error=\"{}\"", what, msg);
  last_error_ = msg;
}

Status ControlLoop::load_initial() {
  try {
    db_ = std::make_unique<store::Db>(config_.db_path);
  } catch (const std::exception& e) {
    return make_error("{}", e.what());
  }
  if (auto st = reload(); !st) return st;
  if (config_.probes) {
    // ICMP needs an unprivileged ICMP socket or CAP_NET_RAW: say so at startup, not per probe.
    for (int family : {AF_INET, AF_INET6}) {
      for (const auto& [id, t] : monitor_->backends()) {
        bool v6 = t.config.address.find(':') != std::string::npos;
        if (t.config.probe != "icmp" || (family == AF_INET6) != v6) continue;
        if (auto st = probes::check_icmp_available(family); !st)
          return make_error("backend {}: {}", t.config.name, st.error().message);
        break;
      }
    }
    // Probe never-probed backends before the first answer, bounded by their
    // timeout, so a backend that is already dead is never handed out.
    size_t n = monitor_->probe_unknown_now();
    progress::phase("probing backends", n, "backends");
    if (n > 0) {
      int64_t max_timeout = 0;
      for (const auto& [id, t] : monitor_->backends()) max_timeout = std::max(max_timeout, t.config.timeout_ms);
      auto t0 = Clock::now();
      uv_timer_t deadline;
      uv_timer_init(&loop_, &deadline);
      uv_timer_start(&deadline, [](uv_timer_t*) {}, static_cast<uint64_t>(max_timeout) + 100, 0);
      while (monitor_->startup_pending() && uv_is_active(reinterpret_cast<uv_handle_t*>(&deadline)))
        uv_run(&loop_, UV_RUN_ONCE);
      uv_close(reinterpret_cast<uv_handle_t*>(&deadline), nullptr);
      uv_run(&loop_, UV_RUN_NOWAIT);
      log::info("msg=\"first probe round done\" backends={} ms={:.0f}", n, ms_since(t0));
    }
  }
  return republish("start", false);
}

void ControlLoop::start() {
  uv_timer_start(&poll_, on_poll, config_.poll_ms, config_.poll_ms);
  uv_timer_start(&save_, on_save, config_.save_ms, config_.save_ms);
}

void ControlLoop::stop() {
  uv_timer_stop(&poll_);
  uv_timer_stop(&save_);
  uv_timer_stop(&republish_);
  monitor_.reset();
  try {
    store::Transaction tx(*db_);
    tx.commit();
  } catch (const std::exception&) {
  }
}

void ControlLoop::on_poll(uv_timer_t* t) {
  auto* self = static_cast<ControlLoop*>(t->data);
  try {
    if (self->db_->data_version() == self->data_version_) return;
    if (self->reload()) (void)self->republish("database changed", false);
  } catch (const std::exception& e) {
    self->log_error_once("cannot read database", e.what());
  }
}

void ControlLoop::on_save(uv_timer_t* t) {
  auto* self = static_cast<ControlLoop*>(t->data);
  self->publish_status();  // at least once a second, for the probe counters
  if (!self->monitor_) return;
  try {
    store::Transaction tx(*self->db_);
    auto saved = self->monitor_->save_dirty(*self->db_);
    tx.commit();
    self->monitor_->mark_saved(saved);
  } catch (const std::exception& e) {
    self->log_error_once("cannot save backend state", e.what());
  }
}

void ControlLoop::on_republish(uv_timer_t* t) {
  auto* self = static_cast<ControlLoop*>(t->data);
  (void)self->republish("backend health changed", true);
}

Status ControlLoop::reload() {
  auto t0 = Clock::now();
  try {
    // Read the version before the data: a commit racing with the load is seen next poll.
    int64_t version = db_->data_version();
    std::vector<dns::ZoneContent> zones;
    std::vector<store::Backend> backends;
    std::map<int64_t, store::BackendState> states;
    db_->exec("BEGIN");  // one read transaction: everything from the same commit
    try {
      zones = store::load_all_zones(*db_);
      backends = store::list_backends(*db_);
      states = store::load_backend_states(*db_);
      transfers_.load(*db_);
    } catch (...) {
      db_->exec("ROLLBACK");
      throw;
    }
    db_->exec("COMMIT");
    // Zones whose answers cannot depend on health are compiled here once and
    // their records dropped; the others are compiled by republish() from the
    // current health (and again when a backend they depend on changes).
    auto loaded = served_.load(std::move(zones), [this](ServedZones::Slot& slot, dns::ZoneContent& content) {
      // Served as stored: the transfer keeper sees it now, before the records
      // are dropped; new records under an old serial get a new one, as in republish().
      if (transfers_.enabled(content.zone_id)) transfers_.rebase(content.zone_id, nullptr, nullptr);
      if (transfers_.enabled(content.zone_id) && transfers_.served(*db_, content)) {
        bump_serial(slot, content);
        (void)transfers_.served(*db_, content);
      }
    }, [this](const dns::ZoneContent& whole, const dns::ZoneContent& kept) {
      // A flip then diffs only the overlay's records; the rest is the zone's base.
      if (transfers_.enabled(whole.zone_id)) transfers_.rebase(whole.zone_id, &whole, &kept);
    });
    if (!loaded) {
      log_error_once("cannot build snapshot", loaded.error().message);
      return loaded.error();
    }
    data_version_ = version;
    // A reload is a new baseline: the CLI bumped serials itself.
    // The records we just dropped were many small allocations; hand them back to the
    // kernel so that RSS reflects the compiled zones, not the load (glibc keeps freed heap).
    malloc_trim(0);
    uint64_t records = 0;
    for (const auto& sl : served_.slots()) records += sl.records_stored;
    log::info("msg=\"zones loaded\" zones={} records={} ms={:.1f}", served_.zone_count(), records,
              ms_since(t0));
    if (monitor_) monitor_->sync(backends, states);
    backends_config_ = std::move(backends);
    backend_states_ = std::move(states);
    return ok_status();
  } catch (const std::exception& e) {
    log_error_once("cannot read database", e.what());
    return make_error("{}", e.what());
  }
}

Status ControlLoop::republish(const char* why, bool count_changes) {
  auto t0 = Clock::now();
  auto serving = [this](int64_t id) { return !monitor_ || monitor_->serving(id); };
  // Only the zones of backends whose health moved are looked at (ServedZones' dependents index).
  std::vector<ServedZones::Change> changes = served_.plan(serving);
  std::vector<Transition> transitions = monitor_ ? monitor_->take_transitions() : std::vector<Transition>{};
  auto db_t0 = Clock::now();
  size_t changed = record_changes(changes, transitions, count_changes);
  double db_ms = ms_since(db_t0);  // serials and events in SQLite, inside ms= until they are written behind
  progress::phase("building answers", changes.size(), "zones");
  for (auto& c : changes) {
    ServedZones::Slot& slot = served_.slot(c.slot);
    if (!transfers_.enabled(slot.zone_id)) continue;
    // After a restart we cannot know what the secondaries hold of a governed zone
    // (health may differ): a new serial, and a full transfer for them.
    if (!started_) {
      bump_serial(slot, c.served);
      transfers_.reset_journal(*db_, slot.zone_id);
    }
    if (transfers_.served(*db_, c.served)) {
      // New answers under an old serial (a reload saw a change the CLI did not bump).
      bump_serial(slot, c.served);
      (void)transfers_.served(*db_, c.served);
    }
  }
  auto built = served_.commit(changes, ++generation_);
  if (!built) {
    log_error_once("cannot build snapshot", built.error().message);
    return built.error();
  }
  (*built)->set_transfers(transfers_.table());
  current_ = std::move(*built);
  publisher_.publish(current_);
  // The answers are out: what follows (NOTIFY, status, the log line) is not publication time.
  double ms = ms_since(t0);
  started_ = true;
  send_notifications();
  last_error_.clear();
  published_ms_ = store::unix_now_ms();
  double secs = ms / 1000.0;
  size_t b = 0;
  while (b < kRebuildBuckets.size() && secs > kRebuildBuckets[b]) ++b;
  ++rebuild_seconds_.counts[b];
  rebuild_seconds_.sum += secs;
  ++rebuild_seconds_.count;
  ++rebuilds_;
  publish_status();
  if (config_.on_published) config_.on_published({why, transitions, current_});
  log::info("msg=\"snapshot published\" reason=\"{}\" generation={} zones={} records={} "
            "changed_zones={} ms={:.1f} db_ms={:.1f} bytes={}",
            why, current_->generation(), current_->zone_count(), current_->record_count(),
            changed, ms, db_ms, current_->memory_bytes());
  return ok_status();
}

}  // namespace fodns::app

namespace fodns::app {

void ControlLoop::bump_serial(ServedZones::Slot& slot, dns::ZoneContent& served) {
  uint32_t serial = 0;
  try {
    store::Transaction tx(*db_);
    serial = store::bump_zone_serial(*db_, slot.zone_id, store::unix_now_ms() / 1000);
    tx.commit();
  } catch (const std::exception& e) {
    log_error_once("cannot move the serial on", e.what());
    return;
  }
  served_.set_serial(slot, served, serial);
}

size_t ControlLoop::record_changes(std::vector<ServedZones::Change>& changes,
                                   const std::vector<Transition>& transitions, bool count_changes) {
  // A health change (not a first compile) moves the zone's serial on. Serial bumps,
  // events and states go to SQLite in one transaction, before the answers change.
  size_t changed = 0;
  for (const auto& c : changes) changed += !c.first && count_changes;
  if (changed == 0 && transitions.empty()) return 0;
  try {
    store::Transaction tx(*db_);
    int64_t now_s = store::unix_now_ms() / 1000;
    store::ZoneSerialBumper serials(*db_);
    for (auto& c : changes)
      if (!c.first && count_changes)
        served_.set_serial(c, serials.bump(served_.slot(c.slot).zone_id, now_s));
    for (const auto& t : transitions)
      store::insert_event(*db_, t.at_ms, t.backend_id, t.backend, health::state_name(t.from),
                          health::state_name(t.to), t.reason);
    std::vector<int64_t> saved;
    if (monitor_) saved = monitor_->save_dirty(*db_);
    tx.commit();
    if (monitor_) monitor_->mark_saved(saved);
  } catch (const std::exception& e) {
    // Serve the new health anyway: answers must not wait for a locked database.
    log_error_once("cannot record the state change", e.what());
  }
  return changed;
}

void ControlLoop::send_notifications() {
  if (!notifier_) return;
  for (auto& n : transfers_.take_notifications()) {
    std::vector<xfr::Notifier::Target> targets;
    for (const auto& t : n.targets) targets.push_back({t.address, t.port});
    notifier_->changed(n.zone, n.soa, std::move(targets), std::move(n.key));
  }
}

void ControlLoop::set_listeners_up(bool up) {
  listeners_up_ = up;
  publish_status();
}

void ControlLoop::publish_status() {
  if (!board_) return;
  auto d = std::make_shared<StatusData>();
  auto add_backend = [&](const store::Backend& c, const store::BackendState* s, const TrackedBackend* t) {
    BackendStatus b;
    b.id = c.id;
    b.name = c.name;
    b.address = c.address;
    b.port = c.port;
    b.probe = c.probe;
    b.transport = c.transport;
    b.drained = c.drained;
    b.drain_reason = c.drain_reason;
    if (s) {
      b.state = s->state;
      b.since_ms = s->since_ms;
      b.last_check_ms = s->last_check_ms;
      b.last_rtt_us = s->last_rtt_us;
      b.last_result = s->last_result;
      b.last_error = s->last_error;
      b.successes = s->successes;
      b.failures = s->failures;
    } else {
      b.state = "unknown";
    }
    if (t) {
      b.checks = t->checks;
      b.rtt = t->rtt;
      b.failovers_down = t->failovers_down;
      b.failovers_up = t->failovers_up;
    } else {
      b.rtt.counts.assign(kRttBuckets.size() + 1, 0);
    }
    d->backends.push_back(std::move(b));
  };
  if (monitor_ && config_.probes) {
    for (const auto& [id, t] : monitor_->backends()) add_backend(t.config, &t.saved, &t);
  } else {
    for (const auto& c : backends_config_) {
      auto it = backend_states_.find(c.id);
      add_backend(c, it == backend_states_.end() ? nullptr : &it->second, nullptr);
    }
  }
  for (const auto& slot : served_.slots()) {
    ZoneStatus z;
    z.name = slot.name;
    z.serial = slot.serial;
    z.records_stored = slot.records_stored;
    z.records_served = slot.records_served;
    if (notifier_) {
      auto it = notifier_->stats().find(slot.name);
      if (it != notifier_->stats().end()) {
        z.notify_sent = it->second.sent;
        z.notify_answered = it->second.answered;
        z.notify_gave_up = it->second.gave_up;
      }
    }
    d->zones.push_back(std::move(z));
  }
  d->snapshot_loaded = current_ != nullptr;
  d->snapshot_published_ms = published_ms_;
  d->snapshot_generation = current_ ? current_->generation() : 0;
  d->rebuilds = rebuilds_;
  d->rebuild_seconds = rebuild_seconds_;
  if (monitor_) {
    d->probe_rounds = monitor_->runner().rounds();
    d->probe_rounds_skipped = monitor_->runner().skipped_rounds();
  }
  d->listeners_up = listeners_up_;
  if (!d->snapshot_loaded) d->not_ready_reason = "no snapshot loaded";
  else if (!listeners_up_) d->not_ready_reason = "DNS listeners not up";
  board_->publish(std::move(d));
}

}  // namespace fodns::app
