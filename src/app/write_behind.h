// WriteBehind: what the control loop has served but not yet written to SQLite:
// health events, served serials (with their reservations), IXFR journal steps and,
// through a callback, backend states. A locked or full database never delays a publication: the
// publication goes out, its writes wait here and are written, in one transaction,
// when the database takes them. The log says so once per episode: "cannot write the
// database; queued N" once writes have failed for kQuietMs (a CLI commit holding the
// lock for a few milliseconds is no episode), "database writable again; wrote N" when
// they succeed again; never once per attempt.
// Bound: at most `max_events` events and as many journal steps wait; beyond it the
// oldest are dropped, counted, and the count is logged when the database is writable
// again (a dropped journal step only makes IXFR across it a full transfer after a
// restart). Serials are one per zone (the newest wins) and states one per backend,
// so they need no bound.
// Threading: control loop only.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "app/backend_monitor.h"
#include "app/serial_book.h"
#include "store/db.h"
#include "store/transfer_repo.h"

namespace fodns::app {

struct QueuedJournalStep {
  int64_t zone_id = 0;
  store::JournalEntry entry;
  int64_t max_entries = 0;
  int64_t max_age_s = 0;
};

class WriteBehind {
 public:
  static constexpr size_t kDefaultMaxEvents = 10000;
  static constexpr int64_t kQuietMs = 1000;
  explicit WriteBehind(SerialBook& serials, size_t max_events = kDefaultMaxEvents)
      : serials_(serials), max_events_(max_events) {}

  void add_event(Transition e);
  void add_journal_step(QueuedJournalStep step);
  /// The serial zone `zone_id` now serves; written with a new reservation.
  void set_serial(int64_t zone_id, uint32_t serial) { serials_pending_[zone_id] = serial; }
  std::optional<uint32_t> queued_serial(int64_t zone_id) const {
    auto it = serials_pending_.find(zone_id);
    return it == serials_pending_.end() ? std::nullopt : std::optional(it->second);
  }
  /// Forgets a queued serial (its zone was deleted, or the caller could not use it).
  void drop_serial(int64_t zone_id) { serials_pending_.erase(zone_id); }

  /// Extra writes in the same transaction (backend states); returns how many rows.
  using Extra = std::function<size_t(store::Db&)>;
  /// Writes everything queued, plus `extra`, in one transaction. @return true if it
  /// was written (the queue is then empty); false keeps everything for the next call.
  /// `extra_pending` counts what `extra` would write, for the log line.
  bool flush(store::Db& db, const Extra& extra, size_t extra_pending, int64_t now_ms);

  size_t queued_events() const { return events_.size(); }
  size_t queued_serials() const { return serials_pending_.size(); }
  size_t queued_journal_steps() const { return journal_.size(); }
  uint64_t dropped_events() const { return dropped_total_; }
  /// True between a failed write and the next successful one.
  bool failing() const { return failing_; }
  uint64_t failed_attempts() const { return failed_attempts_; }

 private:
  SerialBook& serials_;
  size_t max_events_;
  std::vector<Transition> events_;
  std::vector<QueuedJournalStep> journal_;
  std::map<int64_t, uint32_t> serials_pending_;
  bool failing_ = false;
  bool logged_ = false;  // this episode's first line is out
  int64_t failing_since_ms_ = 0;
  uint64_t failed_attempts_ = 0;   // in the current episode
  uint64_t dropped_episode_ = 0;
  uint64_t dropped_total_ = 0;
  uint64_t dropped_journal_episode_ = 0;
};

}  // namespace fodns::app
