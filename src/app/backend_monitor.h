// BackendMonitor: wires the probe runner to the health table. It turns each
// backend row into a probe target, hands every verdict to health::HealthTable
// (which decides up/down and what to save), probes a backend sooner while a
// change is pending, counts checks and RTTs per backend for /metrics, and
// tells the control loop to republish on a transition. It saves the table's
// states through store/ (StateStore over SQLite).
// Threading: control loop only.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <unordered_map>
#include <vector>

#include "health/health_table.h"
#include "probes/probe_runner.h"
#include "status/status_board.h"
#include "store/backend_repo.h"

namespace fodns::app {

using Transition = health::Transition;

struct TrackedBackend {
  store::Backend config;
  // Since the process started, for /metrics.
  status::CheckCounts checks{};  // by outcome
  status::Histogram rtt = status::Histogram::over(status::kRttBuckets);
};

class BackendMonitor {
 public:
  using OnTransition = std::function<void()>;
  using Clock = health::HealthTable::Clock;

  BackendMonitor(uv_loop_t* loop, probes::ProbeRunner::Factory factory, OnTransition on_transition,
                 Clock now_ms = store::unix_now_ms);

  /// Applies the backends and states read from the database. Backends whose
  /// probe settings did not change keep their in-memory health.
  void sync(const std::vector<store::Backend>& backends,
            const std::map<int64_t, store::BackendState>& states);
  /// Starts one probe round for every backend still `unknown`.
  size_t probe_unknown_now();
  /// True while some backend that was probed at start has no verdict yet.
  bool startup_pending() const { return table_.startup_pending(); }

  /// Serving in answers: up or unknown, and not drained.
  bool serving(int64_t backend_id) const { return table_.serving(backend_id); }
  const std::map<int64_t, TrackedBackend>& backends() const { return backends_; }
  const health::HealthTable& table() const { return table_; }

  /// Transitions since the last call (to be written with the serial bumps).
  std::vector<Transition> take_transitions() { return table_.take_transitions(); }
  /// health::HealthTable::save_dirty into `db`: call inside a transaction,
  /// and mark_saved() with the result once it has committed.
  std::vector<int64_t> save_dirty(store::Db& db);
  void mark_saved(const std::vector<int64_t>& ids) { table_.mark_saved(ids); }
  /// How many states wait to be written (for the write-behind log line).
  size_t dirty_count() const { return table_.dirty_count(); }

  const probes::ProbeRunner& runner() const { return *runner_; }

  /// Feeds one probe verdict (the ProbeRunner calls this for every finished check).
  void record_result(int64_t id, const probes::ProbeResult& r);

 private:
  uv_loop_t* loop_;
  OnTransition on_transition_;
  health::HealthTable table_;
  std::unique_ptr<probes::ProbeRunner> runner_;
  std::map<int64_t, TrackedBackend> backends_;  // ordered, as the table
  std::unordered_map<int64_t, TrackedBackend*> by_id_;  // the lookup per probe result
};

/// The probe target for a backend row; an error names the bad field.
Result<probes::Target> target_for(const store::Backend& b);

}  // namespace fodns::app
