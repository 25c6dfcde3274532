// HealthTable: the health of every backend, as the control loop sees it.
// It feeds each probe verdict into the backend's HealthState, keeps the last
// verdict for `fodns status`, and records transitions for the events table.
// State is saved in batches through a StateStore (app implements it over
// SQLite), once per second and at once on a transition, so 10,000 backends
// probed every second cost one commit per second. A row is written when what
// it says changes (state, verdict, error, the consecutive counts up to the
// thresholds) and otherwise refreshed every kStateRefreshMs: rewriting 10,000
// unchanged rows a second was a fifth of the control loop's CPU (perf,
// tools/bench/scale.sh --parts a). No probes, no I/O: app::BackendMonitor
// wires the probe runner to it.
// Threading: control loop only.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "health/backend_state.h"
#include "health/health_state.h"

namespace fodns::health {

/// How stale a backend_state row whose meaning did not change may get
/// (last_check_ms, last_rtt_us, the consecutive counts past the thresholds).
inline constexpr int64_t kStateRefreshMs = 10'000;

struct Transition {
  int64_t backend_id = 0;
  std::string backend;
  State from = State::Unknown;
  State to = State::Unknown;
  int64_t at_ms = 0;
  std::string reason;
};

/// What the table needs to know of a backend's configuration.
struct MemberConfig {
  int64_t id = 0;
  std::string name;
  Thresholds thresholds;
  bool drained = false;
};

struct Member {
  MemberConfig config;
  HealthState health;
  BackendState saved;       // what `fodns status` shows; written back in batches
  bool has_result = false;  // at least one verdict since start
  bool dirty = false;       // `saved` differs from the stored row
  int64_t stored_ms = 0;    // when the row was last written (0: not since start)
  // Since the process started, for /metrics.
  uint64_t failovers_down = 0;  // transitions to down
  uint64_t failovers_up = 0;    // transitions from down to up
};

/// One probe verdict, as the probes report it.
struct Verdict {
  bool ok = false;
  int64_t rtt_us = -1;
  std::string_view result;  // the outcome's name: ok, timeout, refused ...
  std::string_view detail;  // why it failed
};

/// Where the table saves states; app implements it over SQLite.
class StateStore {
 public:
  virtual ~StateStore() = default;
  /// Writes every state, or throws (then nothing counts as saved).
  virtual void save(std::span<const BackendState* const> states) = 0;
};

class HealthTable {
 public:
  using Clock = int64_t (*)();  // unix milliseconds

  explicit HealthTable(Clock now_ms) : now_ms_(now_ms) {}

  /// Applies the configured backends and the states read back from storage.
  /// Backends already known keep their in-memory health.
  void sync(const std::vector<MemberConfig>& configs, const std::map<int64_t, BackendState>& states);
  struct Recorded {
    bool known = false;           // the backend is in the table
    bool change_pending = false;  // probe it sooner: the next verdicts may flip it
    bool changed = false;         // its state changed (a transition was recorded)
  };
  /// Feeds one verdict.
  Recorded record(int64_t id, const Verdict& v);
  /// The ids of the backends still unknown; the table waits for a verdict from each.
  std::vector<int64_t> wait_for_unknown();
  /// True while some backend returned by wait_for_unknown() has no verdict yet.
  bool startup_pending() const { return !startup_waiting_.empty(); }

  /// Serving in answers: up or unknown, and not drained.
  bool serving(int64_t backend_id) const;
  const Member* find(int64_t id) const;
  const std::map<int64_t, Member>& members() const { return members_; }

  /// Transitions since the last call (to be written with the serial bumps).
  std::vector<Transition> take_transitions();
  /// Writes the states that changed since they were last saved. Call inside a
  /// transaction, and mark_saved() with the result once it has committed: a
  /// failed commit leaves them to be written again (a row that did not
  /// change meaning is not rewritten for 10 s, so a lost write would stay
  /// lost that long, across a restart too).
  std::vector<int64_t> save_dirty(StateStore& store);
  /// How many states wait to be written.
  size_t dirty_count() const { return dirty_.size(); }
  void mark_saved(const std::vector<int64_t>& ids);

 private:
  void mark_dirty(int64_t id, Member& m);

  Clock now_ms_;
  std::map<int64_t, Member> members_;  // ordered: status and metrics list backends by id
  // The same nodes by hash, for the lookup per probe result (a tree walk
  // through 10,000 nodes was 5% of the control loop).
  std::unordered_map<int64_t, Member*> by_id_;
  std::vector<int64_t> dirty_;  // ids with Member::dirty set
  std::set<int64_t> startup_waiting_;
  std::vector<Transition> transitions_;
};

}  // namespace fodns::health
