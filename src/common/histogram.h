// Histogram: counts of observed values in fixed buckets, for a Prometheus
// histogram (the renderer makes the counts cumulative).
// Threading: a plain value; the owner serialises observe() and copies.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace fodns {

struct Histogram {
  std::vector<uint64_t> counts;  // per bucket, not cumulative; last = +Inf
  double sum = 0;
  uint64_t count = 0;

  /// An empty histogram over `bounds` (upper bounds, ascending; +Inf implied).
  static Histogram over(std::span<const double> bounds) {
    return {std::vector<uint64_t>(bounds.size() + 1, 0), 0, 0};
  }
  /// Counts `value` in the first bucket whose bound is >= it.
  void observe(double value, std::span<const double> bounds) {
    size_t b = 0;
    while (b < bounds.size() && value > bounds[b]) ++b;
    ++counts[b];
    sum += value;
    ++count;
  }
};

}  // namespace fodns
