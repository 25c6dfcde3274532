#include "app/write_behind.h"

#include "common/log.h"
#include "store/backend_repo.h"
#include "store/serial_reservation.h"

namespace fodns::app {

void WriteBehind::add_event(Transition e) {
  if (events_.size() >= max_events_) {
    // The oldest go first: the newest say what the backends are doing now.
    size_t drop = events_.size() - max_events_ + 1;
    events_.erase(events_.begin(), events_.begin() + static_cast<std::ptrdiff_t>(drop));
    dropped_episode_ += drop;
    dropped_total_ += drop;
  }
  events_.push_back(std::move(e));
}

void WriteBehind::add_journal_step(QueuedJournalStep step) {
  if (journal_.size() >= max_events_) {
    journal_.erase(journal_.begin());
    ++dropped_journal_episode_;
  }
  journal_.push_back(std::move(step));
}

bool WriteBehind::flush(store::Db& db, const Extra& extra, size_t extra_pending, int64_t now_ms) {
  size_t queued = events_.size() + serials_pending_.size() + journal_.size() + extra_pending;
  if (queued == 0 && !failing()) return true;
  size_t extra_written = 0;
  try {
    store::Transaction tx(db);
    for (const auto& e : events_)
      store::insert_event(db, e.at_ms, e.backend_id, e.backend, health::state_name(e.from),
                          health::state_name(e.to), e.reason);
    for (const auto& [zone_id, serial] : serials_pending_)
      store::write_served_serial(db, zone_id, serial, serials_.reservation_for(serial), now_ms / 1000);
    for (const auto& j : journal_)
      store::append_journal(db, j.zone_id, j.entry, j.max_entries, j.max_age_s, now_ms / 1000);
    if (extra) extra_written = extra(db);
    tx.commit();
  } catch (const std::exception& e) {
    ++failed_attempts_;
    if (!failing()) {
      failing_ = true;
      failing_since_ms_ = now_ms;
    }
    // A CLI commit holds the lock for milliseconds: that is no episode worth a log line.
    if (!logged_ && now_ms - failing_since_ms_ >= kQuietMs) {
      logged_ = true;
      log::error("msg=\"cannot write the database; serving goes on, writes are queued\" "
                 "queued={} events={} serials={} journal_steps={} states={} error=\"{}\"",
                 queued, events_.size(), serials_pending_.size(), journal_.size(), extra_pending,
                 e.what());
    }
    return false;
  }
  size_t wrote = events_.size() + serials_pending_.size() + journal_.size() + extra_written;
  for (const auto& [zone_id, serial] : serials_pending_) serials_.written(zone_id, serial);
  if (logged_) {
    log::info("msg=\"database writable again; wrote the queued writes\" wrote={} events={} "
              "serials={} journal_steps={} states={} dropped_events={} dropped_journal_steps={} "
              "failed_attempts={} after_ms={}",
              wrote, events_.size(), serials_pending_.size(), journal_.size(), extra_written,
              dropped_episode_, dropped_journal_episode_, failed_attempts_,
              now_ms - failing_since_ms_);
  }
  events_.clear();
  serials_pending_.clear();
  journal_.clear();
  dropped_journal_episode_ = 0;
  failing_ = false;
  logged_ = false;
  failed_attempts_ = 0;
  dropped_episode_ = 0;
  return true;
}

}  // namespace fodns::app
