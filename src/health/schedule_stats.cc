#include "health/schedule_stats.h"

namespace fodns::health {

namespace {
// The bounds in microseconds, so that a round costs integer compares only.
constexpr std::array<uint64_t, kLagBuckets.size()> kBoundsUs = [] {
  std::array<uint64_t, kLagBuckets.size()> a{};
  for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<uint64_t>(kLagBuckets[i] * 1e6 + 0.5);
  return a;
}();
}  // namespace

void ScheduleStats::record(uint64_t lag_us, uint64_t interval_us) {
  size_t b = 0;
  while (b < kBoundsUs.size() && lag_us > kBoundsUs[b]) ++b;
  buckets[b].fetch_add(1, std::memory_order_relaxed);
  lag_sum_us.fetch_add(lag_us, std::memory_order_relaxed);
  count.fetch_add(1, std::memory_order_relaxed);
  if (interval_us == 0) return;
  if (lag_us > interval_us / 10) late.fetch_add(1, std::memory_order_relaxed);
  if (lag_us >= interval_us) missed.fetch_add(lag_us / interval_us, std::memory_order_relaxed);
}

ScheduleStats& schedule_stats() {
  static ScheduleStats s;
  return s;
}

}  // namespace fodns::health
