// BackendMonitor: the health of every backend, as the control loop sees it.
// It runs the probes (through ProbeRunner), feeds each verdict into the
// backend's HealthState, keeps the last verdict for `fodns status`, and on a
// transition records an event and tells the control loop to republish.
// State is saved to SQLite in batches (once per second, and at once on a
// transition), so 10,000 backends probed every second cost one commit per
// second. A row is written when what it says changes (state, verdict, error,
// the consecutive counts up to the thresholds) and otherwise refreshed every
// kStateRefreshMs: rewriting 10,000 unchanged rows a second was a fifth of
// the control loop's CPU (perf, tools/bench/scale.sh --parts a).
// Threading: control loop only.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "health/health_state.h"
#include "health/probe_runner.h"
#include "app/status_board.h"
#include "store/backend_repo.h"

namespace fodns::app {

/// How stale a backend_state row whose meaning did not change may get
/// (last_check_ms, last_rtt_us, the consecutive counts past the thresholds).
inline constexpr int64_t kStateRefreshMs = 10'000;

struct Transition {
  int64_t backend_id = 0;
  std::string backend;
  health::State from = health::State::Unknown;
  health::State to = health::State::Unknown;
  int64_t at_ms = 0;
  std::string reason;
};

struct TrackedBackend {
  store::Backend config;
  health::HealthState health;
  store::BackendState saved;  // what `fodns status` shows; written back in batches
  bool has_result = false;    // at least one verdict since start
  bool dirty = false;         // `saved` differs from the row in SQLite
  int64_t stored_ms = 0;      // when the row was last written (0: not since start)
  // Since the process started, for /metrics.
  CheckCounts checks{};                     // by outcome
  Histogram rtt{std::vector<uint64_t>(kRttBuckets.size() + 1, 0), 0, 0};
  uint64_t failovers_down = 0;
  uint64_t failovers_up = 0;
};

class BackendMonitor {
 public:
  using OnTransition = std::function<void()>;

  using Clock = int64_t (*)();  // unix milliseconds

  BackendMonitor(uv_loop_t* loop, health::ProbeRunner::Factory factory, OnTransition on_transition,
                 Clock now_ms = store::unix_now_ms);

  /// Applies the backends and states read from the database. Backends whose
  /// probe settings did not change keep their in-memory health.
  void sync(const std::vector<store::Backend>& backends,
            const std::map<int64_t, store::BackendState>& states);
  /// Starts one probe round for every backend still `unknown`.
  size_t probe_unknown_now();
  /// True while some backend that was probed at start has no verdict yet.
  bool startup_pending() const;

  /// Serving in answers: up or unknown, and not drained.
  bool serving(int64_t backend_id) const;
  const std::map<int64_t, TrackedBackend>& backends() const { return backends_; }

  /// Transitions since the last call (to be written with the serial bumps).
  std::vector<Transition> take_transitions();
  /// Writes the states that changed since they were last saved. Call inside a
  /// transaction, and mark_saved() with the result once it has committed: a
  /// failed commit leaves them to be written again (a row that did not
  /// change meaning is not rewritten for 10 s, so a lost write would stay
  /// lost that long, across a restart too).
  std::vector<int64_t> save_dirty(store::Db& db);
  void mark_saved(const std::vector<int64_t>& ids);
  /// How many states wait to be written (for the write-behind log line).
  size_t dirty_count() const { return dirty_.size(); }

  const health::ProbeRunner& runner() const { return *runner_; }

  /// Feeds one probe verdict (the ProbeRunner calls this for every finished check).
  void record_result(int64_t id, const probes::ProbeResult& r);

 private:
  uv_loop_t* loop_;
  OnTransition on_transition_;
  Clock now_ms_;
  std::unique_ptr<health::ProbeRunner> runner_;
  std::map<int64_t, TrackedBackend> backends_;  // ordered: status and metrics list backends by id
  // The same nodes by hash, for the lookup per probe result (a tree walk
  // through 10,000 nodes was 5% of the control loop).
  std::unordered_map<int64_t, TrackedBackend*> by_id_;
  void mark_dirty(int64_t id, TrackedBackend& t);
  std::vector<int64_t> dirty_;  // ids with TrackedBackend::dirty set
  std::set<int64_t> startup_waiting_;
  std::vector<Transition> transitions_;
};

/// The probe target for a backend row; an error names the bad field.
Result<probes::Target> target_for(const store::Backend& b);

}  // namespace fodns::app
