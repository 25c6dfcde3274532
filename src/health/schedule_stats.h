// ScheduleStats: how punctually ProbeRunner starts its rounds, so an operator
// (and tools/bench/scale.sh) can tell whether the control loop keeps up.
// A round's lag is the time from when its timer was due to when the round
// was handled; a control loop busy elsewhere (SQLite, a rebuild, too many
// probes) shows as lag long before it shows as failovers.
//   late:   lag above a tenth of the interval, i.e. outside the ±10% jitter
//           window the schedule is designed for (100 ms at the default 1 s);
//   missed: whole intervals lost (lag / interval), rounds that never ran.
// Skipped rounds (the previous run still in flight) are counted by
// ProbeRunner itself (fodns_probe_rounds_skipped_total).
//
// Threading: written on the control loop only, read by the HTTP thread:
// relaxed atomics, each counter independent; a scrape may see a histogram
// whose buckets are a few rounds ahead of its count, which Prometheus
// tolerates. Cost per round: a few compares and three uncontended atomic adds.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

namespace fodns::health {

/// Upper bounds (seconds) of the lag histogram buckets; +Inf is implied.
inline constexpr std::array<double, 10> kLagBuckets = {0.001, 0.005, 0.01, 0.025, 0.05,
                                                       0.1,   0.25,  0.5,  1,     5};

struct ScheduleStats {
  std::atomic<uint64_t> buckets[kLagBuckets.size() + 1]{};  // per bucket, not cumulative; last = +Inf
  std::atomic<uint64_t> lag_sum_us{0};
  std::atomic<uint64_t> count{0};
  std::atomic<uint64_t> late{0};
  std::atomic<uint64_t> missed{0};

  /// One round handled `lag_us` after it was due, for a session of `interval_us`.
  void record(uint64_t lag_us, uint64_t interval_us);

  uint64_t get(const std::atomic<uint64_t>& a) const { return a.load(std::memory_order_relaxed); }
};

/// The one instance of the process (what /metrics exports).
ScheduleStats& schedule_stats();

}  // namespace fodns::health
