// ProbeRunner: schedules one probe session per backend on the control loop.
// Every round starts at a jittered point of the interval (±10%, the first one
// anywhere in it) so that thousands of backends do not fire at once. All
// sessions share one libuv timer over a min-heap of due times: with a timer
// per session, libuv's timer heap (10,000 entries, restarted every round) was
// a tenth of the control loop's CPU. A stale heap entry (a session
// rescheduled by run_now() or expedite(), or removed by sync()) is skipped
// when it comes up. A probe still running when its next round is
// due is not started twice: the round is skipped and counted (gdnsd
// tcp_connect.c: "lasted longer than the monitoring interval"). How late
// each round is handled is recorded in a ScheduleStats (schedule_stats.h).
// Threading: control loop only.
#pragma once

#include <uv.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <queue>
#include <random>
#include <vector>

#include "health/schedule_stats.h"
#include "probes/probe.h"

namespace fodns::probes {

struct ProbeSpec {
  int64_t backend_id = 0;
  probes::Target target;
  std::chrono::milliseconds interval{1000};
};

class ProbeRunner {
 public:
  using OnResult = std::function<void(int64_t backend_id, const probes::ProbeResult&)>;
  using Factory = std::function<std::unique_ptr<probes::Probe>(uv_loop_t*, const probes::Target&)>;

  /// `stats`: where round lag is recorded; null means the process-wide
  /// schedule_stats() that /metrics exports (tests pass their own).
  ProbeRunner(uv_loop_t* loop, Factory factory, OnResult on_result, health::ScheduleStats* stats = nullptr);
  ~ProbeRunner();
  ProbeRunner(const ProbeRunner&) = delete;
  ProbeRunner& operator=(const ProbeRunner&) = delete;

  /// Makes the sessions match `specs`: new backends start, removed ones stop,
  /// changed ones restart with the new target.
  void sync(const std::vector<ProbeSpec>& specs);
  /// Runs one round of `backend_id` now (if not already running).
  void run_now(int64_t backend_id);
  /// Brings the next round of `backend_id` forward to half an interval after
  /// its last round started, or to now if that has passed (HAProxy's
  /// "fastinter"). For a backend whose state change is pending: `fall`
  /// failures then take about (fall - 1) x max(interval/2, timeout) after
  /// the first instead of (fall - 1) x interval. Never earlier than the
  /// round already scheduled, never while a round runs.
  void expedite(int64_t backend_id);
  bool running(int64_t backend_id) const;

  uint64_t rounds() const { return rounds_; }
  uint64_t skipped_rounds() const { return skipped_; }
  const health::ScheduleStats& schedule() const { return *stats_; }
  size_t sessions() const { return sessions_.size(); }

 private:
  struct Session;
  struct Due {
    uint64_t at_us;     // uv_hrtime() in microseconds
    Session* session;     // stale unless at_us is the session's due_us
    bool operator>(const Due& o) const { return at_us > o.at_us; }
  };
  void arm(Session& s, bool first);
  void schedule(Session& s, uint64_t at_us);
  void start_round(Session& s);
  void rearm_timer();
  void handle_due();
  static void on_timer(uv_timer_t* t);
  /// Hands a removed session to the heap, which deletes it when its last entry comes up.
  void retire(std::unique_ptr<Session> s);

  uv_loop_t* loop_;
  Factory factory_;
  OnResult on_result_;
  std::map<int64_t, std::unique_ptr<Session>> sessions_;
  std::priority_queue<Due, std::vector<Due>, std::greater<Due>> due_;
  uv_timer_t* timer_;      // heap: freed by its close callback, which may outlive the runner
  uint64_t timer_at_us_ = 0;  // when timer_ fires (0: stopped)
  health::ScheduleStats* stats_;
  std::mt19937_64 rng_;
  uint64_t rounds_ = 0;
  uint64_t skipped_ = 0;
  uint64_t last_skip_log_ = 0;
};

}  // namespace fodns::probes
