#include "app/control_loop.h"
#include "app/status_collect.h"

#include <malloc.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <unordered_map>

#include "common/log.h"
#include "common/progress.h"
#include "probes/probe.h"
#include "dns/wire.h"
#include "store/backend_repo.h"
#include "store/zone_repo.h"
#include "zone/health_filter.h"
#include "zone/snapshot_builder.h"

namespace fodns::app {
namespace {
using Clock = std::chrono::steady_clock;
double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}
void patch_soa_serial(dns::ZoneContent& z) {
  for (auto& rr : z.rrs)
    if (rr.type == dns::type::kSoa && rr.owner == z.origin) dns::soa_set_serial(rr.rdata, z.serial);
}
}  // namespace

ControlLoop::ControlLoop(ControlLoopConfig config, server::Publisher& publisher,
                         probes::ProbeRunner::Factory probe_factory, status::StatusBoard* board)
    : config_(std::move(config)), publisher_(publisher), board_(board) {
  db_watch_ = DatabaseWatch(config_.db_path);
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
  if (!current_) return;  // nothing served yet: the caller returns the error and serve exits on it
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
    // Broken database (issue 14): DatabaseWatch logs once per episode, reload() reports to it.
    if (!self->db_watch_.check_file()) return;
    bool unchanged = self->db_->data_version() == self->data_version_;
    if (unchanged && self->db_watch_.readable()) {
      self->db_watch_.read_ok();
      return;
    }
    if (!self->db_watch_.retry_due()) return;
    if (self->reload()) (void)self->republish("database changed", false);
  } catch (const std::exception& e) {
    self->db_watch_.read_failed("cannot read database", e.what());
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

namespace {
// A hash of what a zone serves, SOA left out (its serial moves when we bump it),
// so that a health change that does not change the answers does not bump the serial.
uint64_t served_hash(const dns::ZoneContent& z) {
  uint64_t h = 0xcbf29ce484222325ull;
  auto mix = [&h](const uint8_t* p, size_t n) {
    for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
  };
  for (const auto& rr : z.rrs) {
    if (rr.type == dns::type::kSoa) continue;
    uint8_t fixed[8];
    dns::put16(fixed, rr.type);
    dns::put32(fixed + 2, rr.ttl);
    dns::put16(fixed + 6, static_cast<uint16_t>(rr.rdata.size()));
    mix(rr.owner.data(), rr.owner.size());
    mix(fixed, sizeof fixed);
    mix(rr.rdata.data(), rr.rdata.size());
  }
  return h;
}
}  // namespace

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
    // Zones without governed records are compiled here once and their records
    // dropped; governed zones keep their records, compiled by republish() from
    // the current health (and again on every change of their answers).
    std::vector<ZoneSlot> slots;
    slots.reserve(zones.size());
    for (auto& content : zones) {
      ZoneSlot slot;
      slot.zone_id = content.zone_id;
      slot.name = dns::name_to_text(content.origin);
      slot.serial = content.serial;
      slot.records_stored = content.rrs.size();
      slot.governed = zone::has_governed_records(content);
      if (!slot.governed) {
        // Served as stored: the transfer keeper sees it now, before the records
        // are dropped; new records under an old serial get a new one, as in republish().
        if (transfers_.enabled(content.zone_id) && transfers_.served(*db_, content)) {
          bump_serial(slot, content);
          (void)transfers_.served(*db_, content);
        }
        auto compiled = zone::SnapshotBuilder::compile_zone(content);
        if (!compiled) {
          log_error_once("cannot build snapshot", compiled.error().message);
          return compiled.error();
        }
        slot.compiled = *compiled;
        slot.records_served = content.rrs.size();
      } else {
        slot.content = std::move(content);
      }
      slots.push_back(std::move(slot));
    }
    // What each governed zone served before, so that republish() logs a CLI edit
    // (a drain) that changed the answers as changed, as it does a health change.
    std::unordered_map<int64_t, uint64_t> served_before;
    for (const auto& old : slots_) served_before[old.zone_id] = old.hash;
    for (auto& sl : slots) {
      auto it = served_before.find(sl.zone_id);
      if (it != served_before.end() && sl.governed) sl.hash = it->second;
    }
    data_version_ = version;
    slots_ = std::move(slots);  // a reload is a new baseline: the CLI bumped serials itself
    zones.clear();
    zones.shrink_to_fit();
    // The records we just dropped were many small allocations; hand them back to the
    // kernel so that RSS reflects the compiled zones, not the load (glibc keeps freed heap).
    malloc_trim(0);
    uint64_t records = 0;
    for (const auto& sl : slots_) records += sl.records_stored;
    log::info("msg=\"zones loaded\" zones={} records={} ms={:.1f}", slots_.size(), records, ms_since(t0));
    if (monitor_) monitor_->sync(backends, states);
    backends_config_ = std::move(backends);
    backend_states_ = std::move(states);
    db_watch_.read_ok();
    return ok_status();
  } catch (const std::exception& e) {
    db_watch_.read_failed("cannot read database", e.what(), current_ != nullptr);
    return make_error("{}", e.what());
  }
}

Status ControlLoop::republish(const char* why, bool count_changes) {
  auto t0 = Clock::now();
  auto serving = [this](int64_t id) { return !monitor_ || monitor_->serving(id); };
  struct Pending {
    size_t slot;
    dns::ZoneContent served;
    uint64_t hash;
    bool changed;          // by health: bump the serial here
    bool answers_changed;  // by health or by a CLI edit (which bumped the serial itself)
  };
  std::vector<Pending> pending;
  for (size_t i = 0; i < slots_.size(); ++i) {
    ZoneSlot& slot = slots_[i];
    if (!slot.governed) continue;
    dns::ZoneContent served = zone::apply_health(slot.content, serving);
    uint64_t h = served_hash(served);
    if (slot.compiled && h == slot.hash) continue;  // same answers: nothing to do
    bool changed = slot.compiled != nullptr && count_changes;
    bool answers_changed = changed || (slot.hash != 0 && h != slot.hash);  // see reload()
    pending.push_back({i, std::move(served), h, changed, answers_changed});
  }
  size_t changed = 0;
  // Serial bumps, events and states go to SQLite in one transaction, before the answers change.
  std::vector<Transition> transitions = monitor_ ? monitor_->take_transitions() : std::vector<Transition>{};
  bool any_change = std::any_of(pending.begin(), pending.end(), [](const Pending& p) { return p.changed; });
  if (any_change || !transitions.empty()) {
    try {
      store::Transaction tx(*db_);
      int64_t now_s = store::unix_now_ms() / 1000;
      for (auto& p : pending) {
        if (!p.changed) continue;
        ZoneSlot& slot = slots_[p.slot];
        slot.serial = store::bump_zone_serial(*db_, slot.zone_id, now_s);
        slot.content.serial = slot.serial;
        patch_soa_serial(slot.content);
        p.served.serial = slot.serial;
        patch_soa_serial(p.served);
      }
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
  }
  progress::phase("building answers", pending.size(), "zones");
  for (auto& p : pending) {
    ZoneSlot& slot = slots_[p.slot];
    if (!transfers_.enabled(slot.zone_id)) continue;
    // After a restart we cannot know what the secondaries hold of a governed zone
    // (health may differ): a new serial, and a full transfer for them.
    if (!started_) {
      bump_serial(slot, p.served);
      transfers_.reset_journal(*db_, slot.zone_id);
    }
    if (transfers_.served(*db_, p.served)) {
      // New answers under an old serial (a reload saw a change the CLI did not bump).
      bump_serial(slot, p.served);
      (void)transfers_.served(*db_, p.served);
    }
  }
  for (auto& p : pending) {
    progress::advance();
    auto compiled = zone::SnapshotBuilder::compile_zone(p.served);
    if (!compiled) {
      log_error_once("cannot build snapshot", compiled.error().message);
      return compiled.error();
    }
    ZoneSlot& slot = slots_[p.slot];
    slot.compiled = *compiled;
    slot.hash = p.hash;
    slot.records_served = p.served.rrs.size();
    changed += p.answers_changed;
  }
  std::vector<zone::CompiledZonePtr> compiled;
  compiled.reserve(slots_.size());
  for (const auto& slot : slots_) compiled.push_back(slot.compiled);
  auto built = std::make_shared<zone::ZoneSnapshot>(std::move(compiled), ++generation_);
  built->set_transfers(transfers_.table());
  current_ = std::move(built);
  publisher_.publish(current_);
  started_ = true;
  send_notifications();
  last_error_.clear();
  published_ms_ = store::unix_now_ms();
  rebuild_seconds_.observe(ms_since(t0) / 1000.0, status::kRebuildBuckets);
  ++rebuilds_;
  publish_status();
  if (config_.on_published) config_.on_published({why, transitions, current_});
  log::info("msg=\"snapshot published\" reason=\"{}\" generation={} zones={} records={} "
            "changed_zones={} ms={:.1f} bytes={}",
            why, current_->generation(), current_->zone_count(), current_->record_count(),
            changed, ms_since(t0), current_->memory_bytes());
  return ok_status();
}

}  // namespace fodns::app

namespace fodns::app {

void ControlLoop::bump_serial(ZoneSlot& slot, dns::ZoneContent& served) {
  try {
    store::Transaction tx(*db_);
    slot.serial = store::bump_zone_serial(*db_, slot.zone_id, store::unix_now_ms() / 1000);
    tx.commit();
  } catch (const std::exception& e) {
    log_error_once("cannot move the serial on", e.what());
    return;
  }
  slot.content.serial = slot.serial;
  patch_soa_serial(slot.content);
  served.serial = slot.serial;
  patch_soa_serial(served);
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
  auto d = std::make_shared<status::StatusData>();
  d->backends = backend_statuses(monitor_ && config_.probes ? monitor_.get() : nullptr, backends_config_,
                                 backend_states_);
  for (const auto& slot : slots_)
    d->zones.push_back(zone_status(slot.name, slot.serial, slot.records_stored, slot.records_served,
                                   notifier_.get()));
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
  db_watch_.fill(*d);
  set_readiness(*d);
  board_->publish(std::move(d));
}

}  // namespace fodns::app
