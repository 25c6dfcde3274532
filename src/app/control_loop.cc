#include "app/control_loop.h"
#include "app/status_collect.h"

#include <malloc.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <limits>
#include <unordered_map>

#include "common/log.h"
#include "common/progress.h"
#include "probes/probe.h"
#include "dns/wire.h"
#include "store/backend_repo.h"
#include "store/serial_reservation.h"
#include "store/zone_changes.h"
#include "store/zone_repo.h"
#include "zone/snapshot_builder.h"

namespace fodns::app {
namespace {
using Clock = std::chrono::steady_clock;
// The control loop's writes give up after this long on a lock held by another process
// and are queued instead (WriteBehind): SQLite's default here (5 s) stalled failover
// for as long as a lock was held. Start-up still waits the full busy timeout.
constexpr int kWriteBusyMs = 10;
double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
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
  transfers_.set_journal_sink([this](int64_t zone_id, store::JournalEntry entry, int64_t max_entries,
                                     int64_t max_age_s) {
    writes_.add_journal_step({zone_id, std::move(entry), max_entries, max_age_s});
  });
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
  try {
    // A new change epoch before the full read: edits committed after it are re-read
    // by the first poll, edits before it are in the full read.
    constexpr int64_t kAll = std::numeric_limits<int64_t>::max();
    auto opened = store::take_changed_zones(*db_, kAll);
    changes_since_ = opened.next_since == kAll ? store::open_change_epoch(*db_) : opened.next_since;
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
  return republish("start");
}

void ControlLoop::start() {
  sqlite3_busy_timeout(db_->handle(), kWriteBusyMs);
  uv_timer_start(&poll_, on_poll, config_.poll_ms, config_.poll_ms);
  uv_timer_start(&save_, on_save, config_.save_ms, config_.save_ms);
}

void ControlLoop::stop() {
  uv_timer_stop(&poll_);
  uv_timer_stop(&save_);
  uv_timer_stop(&republish_);
  // Every served serial written: the next start need not skip above the reservations.
  if (flush_writes()) {
    try {
      store::Transaction tx(*db_);
      store::release_serial_reservations(*db_);
      tx.commit();
    } catch (const std::exception&) {
      // Kept: the next start begins above them, which is safe.
    }
  }
  monitor_.reset();
}

void ControlLoop::on_poll(uv_timer_t* t) {
  auto* self = static_cast<ControlLoop*>(t->data);
  try {
    // Broken database (issue 14): DatabaseWatch logs once per episode, the reloads report to it.
    if (!self->db_watch_.check_file()) return;
    bool unchanged = self->db_->data_version() == self->data_version_ && self->reread_.empty();
    if (unchanged && self->db_watch_.readable()) {
      self->db_watch_.read_ok();
      return;
    }
    if (!self->db_watch_.retry_due()) return;
    if (self->reload_changed()) (void)self->republish("database changed");
  } catch (const std::exception& e) {
    self->db_watch_.read_failed("cannot read database", e.what());
  }
}

void ControlLoop::on_save(uv_timer_t* t) {
  auto* self = static_cast<ControlLoop*>(t->data);
  self->publish_status();  // at least once a second, for the probe counters
  (void)self->flush_writes();  // retried every save_ms while the database refuses
}

void ControlLoop::on_republish(uv_timer_t* t) {
  auto* self = static_cast<ControlLoop*>(t->data);
  (void)self->republish("backend health changed");
}


Status ControlLoop::reload(const std::set<int64_t>* edited) {
  auto t0 = Clock::now();
  try {
    // Read the version before the data: a commit racing with the load is seen next poll.
    int64_t version = db_->data_version();
    std::vector<dns::ZoneContent> zones;
    std::vector<store::Backend> backends;
    std::map<int64_t, store::BackendState> states;
    std::map<int64_t, uint32_t> reserved;
    store::read_consistently(*db_, [&] {
      zones = store::load_all_zones(*db_);
      reserved = store::load_serial_reservations(*db_);
      read_backends(backends, states);
    });
    std::map<int64_t, uint32_t> served_before;  // a running full reload keeps serials moving forward
    for (const auto& sl : served_.slots()) served_before[sl.zone_id] = sl.serial;
    for (auto& content : zones) {
      auto before = served_before.find(content.zone_id);
      auto res = reserved.find(content.zone_id);
      adopt_serial(content, before == served_before.end() ? std::nullopt : std::optional(before->second),
                   res == reserved.end() ? std::nullopt : std::optional(res->second),
                   !edited || edited->count(content.zone_id) > 0);
    }
    // Zones whose answers cannot depend on health are compiled here once and
    // their records dropped; the others are compiled by republish() from the
    // current health (and again when a backend they depend on changes).
    auto loaded = served_.load(
        std::move(zones), [this](ServedZones::Slot& slot, dns::ZoneContent& content) { on_static_zone(slot, content); },
        [this](const dns::ZoneContent& whole, const dns::ZoneContent& kept) {
          // A flip then diffs only the overlay's records; the rest is the zone's base.
          if (transfers_.enabled(whole.zone_id)) transfers_.rebase(whole.zone_id, &whole, &kept);
        });
    if (!loaded) {
      log_error_once("cannot build snapshot", loaded.error().message);
      return loaded.error();
    }
    data_version_ = version;
    reread_.clear();  // every zone was read
    zones.clear();
    zones.shrink_to_fit();
    // The records we just dropped were many small allocations; hand them back to the
    // kernel so that RSS reflects the compiled zones, not the load (glibc keeps freed heap).
    malloc_trim(0);
    uint64_t records = 0;
    for (const auto& sl : served_.slots()) records += sl.records_stored;
    log::info("msg=\"zones loaded\" zones={} records={} ms={:.1f}", served_.zone_count(), records,
              ms_since(t0));
    adopt_backends(std::move(backends), std::move(states));
    db_watch_.read_ok();
    return ok_status();
  } catch (const std::exception& e) {
    db_watch_.read_failed("cannot read database", e.what(), current_ != nullptr);
    return make_error("{}", e.what());
  }
}

Status ControlLoop::republish(const char* why) {
  auto t0 = Clock::now();
  auto serving = [this](int64_t id) { return !monitor_ || monitor_->serving(id); };
  // Only the zones of backends whose health moved are looked at (ServedZones' dependents index).
  std::vector<ServedZones::Change> changes = served_.plan(serving);
  std::vector<Transition> transitions = monitor_ ? monitor_->take_transitions() : std::vector<Transition>{};
  // Serials move now, from the reservation; they, the events and the states are
  // written after the publication (flush_writes below), so answers never wait for SQLite.
  auto db_t0 = Clock::now();
  size_t changed = record_changes(changes, transitions);
  double db_ms = ms_since(db_t0);  // SQLite only when a zone's serial reservation ran out
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
    // New answers under an old serial (a reload saw a change the CLI did not bump);
    // if the serial cannot move now, the zone is read again once writes succeed.
    if (transfers_.served(*db_, c.served) && bump_serial(slot, c.served)) (void)transfers_.served(*db_, c.served);
  }
  auto built = served_.commit(changes, ++generation_);
  if (!built) {
    log_error_once("cannot build snapshot", built.error().message);
    return built.error();
  }
  (*built)->set_transfers(transfers_.table());
  current_ = std::move(*built);
  publisher_.publish(current_);
  // The answers are out: what follows (writes, NOTIFY, status, the log line) is not publication time.
  double ms = ms_since(t0);
  started_ = true;
  send_notifications();
  (void)flush_writes();
  last_error_.clear();
  published_ms_ = store::unix_now_ms();
  rebuild_seconds_.observe(ms / 1000.0, status::kRebuildBuckets);
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
  for (const auto& slot : served_.slots())
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
