// ControlLoop: the main thread's libuv loop. It owns the SQLite connection
// and the probes; it notices commits by other processes (the CLI) by polling
// PRAGMA data_version, applies backend health to the stored zones, compiles
// the result into a snapshot off to the side and publishes it to the workers.
// A health change that alters what is served bumps the zone's serial and is
// written as an event, in one transaction, before the new answers go out.
// A database that cannot be read keeps the last good snapshot serving.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "app/backend_monitor.h"
#include "app/served_zones.h"
#include "app/status_board.h"
#include "app/transfer_keeper.h"
#include "common/result.h"
#include "dns/zone_content.h"
#include "server/publisher.h"
#include "store/db.h"
#include "xfr/notifier.h"

namespace fodns::app {

/// What changed in one publish, for observers such as `fodns demo`.
struct PublishEvent {
  std::string reason;
  std::vector<Transition> transitions;
  zone::SnapshotPtr snapshot;
};

struct ControlLoopConfig {
  std::string db_path;
  uint64_t poll_ms = 200;        // how often to look for CLI commits; the issue asks for < 1 s
  uint64_t save_ms = 1000;       // batch interval for probe verdicts to SQLite
  uint64_t notify_window_ms = 1000;  // NOTIFYs of one zone are coalesced over this window
  bool probes = true;            // false: serve stored health only (benchmarks, tests)
  std::function<void(const PublishEvent&)> on_published;
};

class ControlLoop {
 public:
  ControlLoop(ControlLoopConfig config, server::Publisher& publisher,
              health::ProbeRunner::Factory probe_factory, StatusBoard* board = nullptr);
  ~ControlLoop();

  /// Opens the database, probes never-probed backends once (bounded by their
  /// timeout) and publishes the first snapshot. Fatal errors are returned.
  Status load_initial();
  uv_loop_t* loop() { return &loop_; }
  /// Starts the timers; uv_run(loop()) then runs until stop().
  void start();
  void stop();
  const zone::SnapshotPtr& current() const { return current_; }
  const BackendMonitor& monitor() const { return *monitor_; }
  /// Called once every listener is bound and every worker runs (for /healthz).
  void set_listeners_up(bool up);

 private:
  static void on_poll(uv_timer_t* t);
  static void on_save(uv_timer_t* t);
  static void on_republish(uv_timer_t* t);
  /// Reads zones, backends and states; on error keeps what it had.
  Status reload();
  /// Applies health, bumps serials of zones whose answers changed, builds and publishes.
  Status republish(const char* why, bool count_changes);
  void log_error_once(const std::string& what, const std::string& msg);
  /// Publishes what /metrics, /healthz and /status show.
  void publish_status();

  ControlLoopConfig config_;
  server::Publisher& publisher_;
  uv_loop_t loop_{};
  uv_timer_t poll_{};
  uv_timer_t save_{};
  uv_timer_t republish_{};
  std::unique_ptr<store::Db> db_;
  std::unique_ptr<BackendMonitor> monitor_;
  int64_t data_version_ = -1;
  uint64_t generation_ = 0;
  ServedZones served_;  // what each zone serves under the current health; the dependents index
  zone::SnapshotPtr current_;
  std::string last_error_;
  StatusBoard* board_;
  bool listeners_up_ = false;
  int64_t published_ms_ = 0;
  uint64_t rebuilds_ = 0;
  Histogram rebuild_seconds_{std::vector<uint64_t>(kRebuildBuckets.size() + 1, 0), 0, 0};
  std::vector<store::Backend> backends_config_;                // for status when probes are off
  std::map<int64_t, store::BackendState> backend_states_;      // likewise
  TransferKeeper transfers_;
  std::unique_ptr<xfr::Notifier> notifier_;
  bool started_ = false;  // the first publish is done
  /// Moves a zone's serial on (and its SOA), in its own transaction.
  void bump_serial(ServedZones::Slot& slot, dns::ZoneContent& served);
  /// The serial policy's SQLite side: moves the serial of every zone whose answers a
  /// health change altered and writes events and states, in one transaction.
  /// @return the number of zones changed by health (not first compiles).
  size_t record_changes(std::vector<ServedZones::Change>& changes,
                        const std::vector<Transition>& transitions, bool count_changes);
  void send_notifications();

 public:
  const std::map<std::string, xfr::NotifyStats>* notify_stats() const {
    return notifier_ ? &notifier_->stats() : nullptr;
  }
};

}  // namespace fodns::app
