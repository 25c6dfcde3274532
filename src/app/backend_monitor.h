// BackendMonitor: the health of every backend, as the control loop sees it.
// It runs the probes (through ProbeRunner), feeds each verdict into the
// backend's HealthState, keeps the last verdict for `fodns status`, and on a
// transition records an event and tells the control loop to republish.
// State is saved to SQLite in batches (once per second, and at once on a
// transition), so 10,000 backends probed every second cost one commit per second.
// Threading: control loop only.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "health/health_state.h"
#include "health/probe_runner.h"
#include "app/status_board.h"
#include "store/backend_repo.h"

namespace fodns::app {

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
  // Since the process started, for /metrics.
  std::map<std::string, uint64_t> checks;  // by outcome name
  Histogram rtt{std::vector<uint64_t>(kRttBuckets.size() + 1, 0), 0, 0};
  uint64_t failovers_down = 0;
  uint64_t failovers_up = 0;
};

class BackendMonitor {
 public:
  using OnTransition = std::function<void()>;

  BackendMonitor(uv_loop_t* loop, health::ProbeRunner::Factory factory, OnTransition on_transition);

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
  /// Writes the states that changed since the last save. Call inside a transaction.
  void save_dirty(store::Db& db);

  const health::ProbeRunner& runner() const { return *runner_; }

 private:
  void on_result(int64_t id, const probes::ProbeResult& r);

  uv_loop_t* loop_;
  OnTransition on_transition_;
  std::unique_ptr<health::ProbeRunner> runner_;
  std::map<int64_t, TrackedBackend> backends_;
  std::set<int64_t> dirty_;
  std::set<int64_t> startup_waiting_;
  std::vector<Transition> transitions_;
};

/// The probe target for a backend row; an error names the bad field.
Result<probes::Target> target_for(const store::Backend& b);

}  // namespace fodns::app
