// Pieces shared by the files that render /metrics (metrics_render.cc: DNS,
// zones, HTTP, process; metrics_backends.cc: backends and probes): the
// exposition-format helpers and the render function of each part.
// Threading: as render_metrics (any thread; reads only its input).
#pragma once

#include <fmt/compile.h>
#include <fmt/format.h>

#include <array>
#include <string>
#include <string_view>

#include "health/schedule_stats.h"
#include "http/metrics_render.h"
#include "probes/probe_metrics.h"
#include "status/status_board.h"

namespace fodns::http::detail {

using Buf = fmt::memory_buffer;

inline void header(Buf& b, std::string_view name, std::string_view type, std::string_view help) {
  fmt::format_to(fmt::appender(b), FMT_COMPILE("# HELP {} {}\n# TYPE {} {}\n"), name, help, name, type);
}

inline uint64_t load(const server::Counter& c) { return c.load(std::memory_order_relaxed); }

template <typename F>
uint64_t sum(std::span<const server::WorkerCounters* const> ws, F&& pick) {
  uint64_t s = 0;
  for (const auto* w : ws) s += load(pick(*w));
  return s;
}

// Emits _bucket (cumulative, ending with le="+Inf"), _sum and _count.
// `labels` is either empty or `name="value",` (with the trailing comma).
template <const auto& kBounds>
void histogram(Buf& b, std::string_view name, std::string_view labels, const status::Histogram& h) {
  constexpr size_t N = kBounds.size();
  auto out = fmt::appender(b);
  // Bounds are formatted once per process, not 10 times per backend per scrape.
  static const std::array<std::string, N> le = [] {
    std::array<std::string, N> a;
    for (size_t i = 0; i < N; ++i) a[i] = fmt::format("{}", kBounds[i]);
    return a;
  }();
  uint64_t cum = 0;
  for (size_t i = 0; i < N; ++i) {
    if (i < h.counts.size()) cum += h.counts[i];
    fmt::format_to(out, FMT_COMPILE("{}_bucket{{{}le=\"{}\"}} {}\n"), name, labels, le[i], cum);
  }
  // The +Inf bucket equals _count by definition; the per-bucket counts can only
  // lag it if the publisher was inconsistent, and count is the authority.
  fmt::format_to(out, FMT_COMPILE("{}_bucket{{{}le=\"+Inf\"}} {}\n"), name, labels, h.count);
  std::string_view bare = labels.empty() ? labels : labels.substr(0, labels.size() - 1);
  std::string_view open = bare.empty() ? "" : "{";
  std::string_view close = bare.empty() ? "" : "}";
  fmt::format_to(out, FMT_COMPILE("{}_sum{}{}{} {}\n"), name, open, bare, close, h.sum);
  fmt::format_to(out, FMT_COMPILE("{}_count{}{}{} {}\n"), name, open, bare, close, h.count);
}


void render_backends(const status::StatusData* st, Buf& b);
void render_probe_metrics(const probes::ProbeMetrics& pm, Buf& b);
void render_schedule(const health::ScheduleStats& ss, Buf& b);

}  // namespace fodns::http::detail
