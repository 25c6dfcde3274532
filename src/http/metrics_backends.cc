#include "http/metrics_parts.h"

#include <iterator>
#include <vector>

#include "health/health_state.h"
#include "probes/probe.h"

namespace fodns::http::detail {

void render_backends(const status::StatusData* st, Buf& b) {
  auto out = fmt::appender(b);
  static const std::vector<status::BackendStatus> kNone;
  const auto& backends = st ? st->backends : kNone;
  // Escape each name once; 10,000 backends appear in ~30 series each.
  std::vector<std::string> label;
  label.reserve(backends.size());
  for (const auto& be : backends) label.push_back(escape_label_value(be.name));

  header(b, "fodns_backend_up", "gauge", "1 when the probes say the backend is up, else 0.");
  for (size_t i = 0; i < backends.size(); ++i)
    fmt::format_to(out, FMT_COMPILE("fodns_backend_up{{backend=\"{}\"}} {}\n"), label[i],
                   backends[i].state == "up" ? 1 : 0);
  header(b, "fodns_backend_drained", "gauge", "1 when an operator drained the backend.");
  for (size_t i = 0; i < backends.size(); ++i)
    fmt::format_to(out, FMT_COMPILE("fodns_backend_drained{{backend=\"{}\"}} {}\n"), label[i],
                   backends[i].drained ? 1 : 0);
  header(b, "fodns_backend_state", "gauge",
         "1 for the backend's current state (a drain wins over the probes), 0 for the others.");
  // The probes' states (health::State) and the operator's drain.
  const std::array<std::string_view, 4> states = {health::state_name(health::State::Unknown),
                                                  health::state_name(health::State::Up),
                                                  health::state_name(health::State::Down), "drained"};
  for (size_t i = 0; i < backends.size(); ++i) {
    std::string_view cur =
        backends[i].drained ? std::string_view("drained") : std::string_view(backends[i].state);
    for (auto s : states)
      fmt::format_to(out, FMT_COMPILE("fodns_backend_state{{backend=\"{}\",state=\"{}\"}} {}\n"), label[i], s,
                     s == cur ? 1 : 0);
  }
  header(b, "fodns_probe_checks_total", "counter", "Finished probe checks by backend and result.");
  for (size_t i = 0; i < backends.size(); ++i) {
    // Every result always (zero until seen), so that rate() has a series from the first scrape on.
    for (size_t r = 0; r < backends[i].checks.size(); ++r)
      fmt::format_to(out, FMT_COMPILE("fodns_probe_checks_total{{backend=\"{}\",result=\"{}\"}} {}\n"),
                     label[i], probes::outcome_name(static_cast<probes::Outcome>(r)), backends[i].checks[r]);
  }
  header(b, "fodns_probe_rtt_seconds", "histogram", "Round-trip time of successful probes.");
  std::string labels;
  for (size_t i = 0; i < backends.size(); ++i) {
    labels.clear();
    fmt::format_to(std::back_inserter(labels), "backend=\"{}\",", label[i]);
    histogram<status::kRttBuckets>(b, "fodns_probe_rtt_seconds", labels, backends[i].rtt);
  }
  header(b, "fodns_backend_failovers_total", "counter",
         "Health transitions since start: direction=down (to down), up (from down to up).");
  for (size_t i = 0; i < backends.size(); ++i) {
    fmt::format_to(out, FMT_COMPILE("fodns_backend_failovers_total{{backend=\"{}\",direction=\"down\"}} {}\n"),
                   label[i], backends[i].failovers_down);
    fmt::format_to(out, FMT_COMPILE("fodns_backend_failovers_total{{backend=\"{}\",direction=\"up\"}} {}\n"),
                   label[i], backends[i].failovers_up);
  }
  header(b, "fodns_probe_rounds_total", "counter", "Probe rounds started.");
  if (st) fmt::format_to(out, FMT_COMPILE("fodns_probe_rounds_total {}\n"), st->probe_rounds);
  header(b, "fodns_probe_rounds_skipped_total", "counter",
         "Probe runs skipped because the previous one was still running.");
  if (st) fmt::format_to(out, FMT_COMPILE("fodns_probe_rounds_skipped_total {}\n"), st->probe_rounds_skipped);
}

void render_probe_metrics(const probes::ProbeMetrics& pm, Buf& b) {
  auto out = fmt::appender(b);
  constexpr std::array kKinds = {probes::Kind::SipOptions, probes::Kind::Icmp, probes::Kind::Tcp};
  header(b, "fodns_probe_garbage_total", "counter",
         "Received bytes that were no probe reply at all (ignored), by probe kind.");
  for (auto k : kKinds)
    fmt::format_to(out, FMT_COMPILE("fodns_probe_garbage_total{{kind=\"{}\"}} {}\n"), probes::kind_name(k),
                   pm.get_garbage(k));
  header(b, "fodns_probe_unmatched_total", "counter",
         "Well-formed replies not matching the request in flight (ignored), by probe kind.");
  for (auto k : kKinds)
    fmt::format_to(out, FMT_COMPILE("fodns_probe_unmatched_total{{kind=\"{}\"}} {}\n"), probes::kind_name(k),
                   pm.get_unmatched(k));
  header(b, "fodns_probe_provisional_total", "counter", "SIP 1xx responses seen (ignored).");
  fmt::format_to(out, FMT_COMPILE("fodns_probe_provisional_total {}\n"),
                 pm.provisional.load(std::memory_order_relaxed));
  header(b, "fodns_probe_retransmissions_total", "counter", "SIP OPTIONS retransmitted over UDP.");
  fmt::format_to(out, FMT_COMPILE("fodns_probe_retransmissions_total {}\n"),
                 pm.retransmissions.load(std::memory_order_relaxed));
}

void render_schedule(const health::ScheduleStats& ss, Buf& b) {
  auto out = fmt::appender(b);
  header(b, "fodns_probe_rounds_late_total", "counter",
         "Probe rounds started more than a tenth of their interval after they were due "
         "(outside the jitter window): the control loop is falling behind.");
  fmt::format_to(out, FMT_COMPILE("fodns_probe_rounds_late_total {}\n"), ss.get(ss.late));
  header(b, "fodns_probe_rounds_missed_total", "counter",
         "Whole probe intervals lost to lateness (a round started 2.5 intervals late counts 2).");
  fmt::format_to(out, FMT_COMPILE("fodns_probe_rounds_missed_total {}\n"), ss.get(ss.missed));
  header(b, "fodns_probe_schedule_lag_seconds", "histogram",
         "Delay from when a probe round was due to when the control loop handled it.");
  // _count is the sum of the buckets read here, so the exposition stays
  // consistent while the control loop keeps counting.
  status::Histogram h{std::vector<uint64_t>(health::kLagBuckets.size() + 1, 0), 0, 0};
  for (size_t i = 0; i < h.counts.size(); ++i) {
    h.counts[i] = ss.get(ss.buckets[i]);
    h.count += h.counts[i];
  }
  h.sum = static_cast<double>(ss.get(ss.lag_sum_us)) / 1e6;
  histogram<health::kLagBuckets>(b, "fodns_probe_schedule_lag_seconds", "", h);
}

}  // namespace fodns::http::detail
