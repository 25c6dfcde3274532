// ControlLoop: the main thread's libuv loop. It owns the SQLite connection
// and the probes; it notices commits by other processes (the CLI) by polling
// PRAGMA data_version, applies backend health to the stored zones, compiles
// the result into a snapshot off to the side and publishes it to the workers.
// A health change that alters what is served moves the zone's serial and goes out
// at once; its serial, event and states are written behind it (WriteBehind), so a
// locked or full database never delays an answer (serials come from SerialBook's
// reservation meanwhile). A CLI commit re-reads only the zones it touched
// (store/zone_changes.h). A database that cannot be read keeps the last good snapshot serving.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "app/backend_monitor.h"
#include "app/database_watch.h"
#include "status/status_board.h"
#include "app/serial_book.h"
#include "app/served_zones.h"
#include "app/write_behind.h"
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
  uint64_t poll_ms = 50;         // how often to look for CLI commits: PRAGMA data_version costs
                                 // microseconds, and edit -> served is to stay under 300 ms
  uint64_t save_ms = 1000;       // batch interval for probe verdicts to SQLite
  uint64_t notify_window_ms = 1000;  // NOTIFYs of one zone are coalesced over this window
  bool probes = true;            // false: serve stored health only (benchmarks, tests)
  std::function<void(const PublishEvent&)> on_published;
};

class ControlLoop {
 public:
  ControlLoop(ControlLoopConfig config, server::Publisher& publisher,
              probes::ProbeRunner::Factory probe_factory, status::StatusBoard* board = nullptr);
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
  /// Reads zones, backends and states; on error keeps what it had. `edited`: the zones
  /// an edit touched (null: any may have been); the others keep the serial they serve.
  Status reload(const std::set<int64_t>* edited = nullptr);
  /// Re-reads only the zones the change index lists (control_loop_store.cc).
  Status reload_changed();
  /// Applies health, bumps serials of zones whose answers changed, builds and publishes.
  Status republish(const char* why);
  void log_error_once(const std::string& what, const std::string& msg);
  /// Publishes what /metrics, /healthz and /status show.
  void publish_status();

  ControlLoopConfig config_;
  server::Publisher& publisher_;
  uv_loop_t loop_{};
  uv_timer_t poll_{};
  uv_timer_t save_{};
  uv_timer_t republish_{};
  // Declared before db_ so that it is destroyed after it: it holds a descriptor of the
  // database file, whose close would drop SQLite's locks (see DatabaseWatch::check_file).
  DatabaseWatch db_watch_{""};  // set to config_.db_path by the constructor
  std::unique_ptr<store::Db> db_;
  std::unique_ptr<BackendMonitor> monitor_;
  int64_t data_version_ = -1;
  uint64_t generation_ = 0;
  ServedZones served_;  // what each zone serves under the current health; the dependents index
  zone::SnapshotPtr current_;
  std::string last_error_;
  status::StatusBoard* board_;
  bool listeners_up_ = false;
  int64_t published_ms_ = 0;
  uint64_t rebuilds_ = 0;
  status::Histogram rebuild_seconds_ = status::Histogram::over(status::kRebuildBuckets);
  std::vector<store::Backend> backends_config_;                // for status when probes are off
  std::map<int64_t, store::BackendState> backend_states_;      // likewise
  TransferKeeper transfers_;
  std::unique_ptr<xfr::Notifier> notifier_;
  bool started_ = false;  // the first publish is done
  /// Moves a zone's serial on (and its SOA), from the reservation or written at once;
  /// false if neither could be done (the zone keeps its serial until a write succeeds).
  bool bump_serial(ServedZones::Slot& slot, dns::ZoneContent& served);
  /// The serial a zone just read is served under (SerialBook: never below what was
  /// served or reserved); queues its write. `served`: the serial it serves now, if any.
  /// `edited`: the zone may hold new content; an unedited one read again keeps its serial.
  void adopt_serial(dns::ZoneContent& content, std::optional<uint32_t> served,
                    std::optional<uint32_t> reserved, bool edited = true);
  /// The transfer keeper's look at a zone served as stored, before its records are dropped.
  void on_static_zone(ServedZones::Slot& slot, dns::ZoneContent& content);
  /// Moves the serials of the zones a health change altered (from the reservations)
  /// and queues the events. @return the number of zones whose answers changed.
  size_t record_changes(std::vector<ServedZones::Change>& changes,
                        const std::vector<Transition>& transitions);
  /// Reads the backends, their states and the transfer settings (inside the caller's read transaction).
  void read_backends(std::vector<store::Backend>& backends, std::map<int64_t, store::BackendState>& states);
  /// Takes the backends and states just read (probes follow their settings).
  void adopt_backends(std::vector<store::Backend> backends, std::map<int64_t, store::BackendState> states);
  /// Writes what WriteBehind holds and the dirty backend states, in one transaction.
  bool flush_writes();
  SerialBook serials_;
  WriteBehind writes_{serials_};
  int64_t changes_since_ = 0;            // the change-index epoch read next
  std::vector<int64_t> gone_zones_;      // deleted zones whose marks the index may drop
  std::set<int64_t> serial_starved_;     // zones that could not move their serial
  std::vector<int64_t> reread_;          // zones to read again at the next poll
  void send_notifications();

 public:
  const std::map<std::string, xfr::NotifyStats>* notify_stats() const {
    return notifier_ ? &notifier_->stats() : nullptr;
  }
};

}  // namespace fodns::app
