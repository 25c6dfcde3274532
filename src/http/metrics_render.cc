#include "http/metrics_render.h"

#include "http/database_metrics.h"

#include <fmt/compile.h>

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <iterator>
#include <vector>

#include "probes/probe.h"

namespace fodns::http {

namespace {

using Buf = fmt::memory_buffer;

constexpr std::array<std::string_view, server::kCountedQtypes.size() + 1> kQtypeNames = {
    "A", "NS", "CNAME", "SOA", "PTR", "MX", "TXT", "AAAA", "SRV", "NAPTR", "DS", "ANY", "other"};
// Keep the names in step with the numbers in server/counters.h.
static_assert(server::kCountedQtypes[0] == 1 && server::kCountedQtypes[7] == 28 &&
              server::kCountedQtypes[8] == 33 && server::kCountedQtypes[9] == 35 &&
              server::kCountedQtypes[11] == 255);

constexpr std::array<std::string_view, 17> kRcodeNames = {
    "NOERROR",  "FORMERR",  "SERVFAIL", "NXDOMAIN", "NOTIMP",   "REFUSED",
    "YXDOMAIN", "YXRRSET",  "NXRRSET",  "NOTAUTH",  "NOTZONE",  "DSOTYPENI",
    "RCODE12",  "RCODE13",  "RCODE14",  "RCODE15",  "BADVERS"};

constexpr std::array<std::string_view, static_cast<size_t>(dns::Malformed::kCount)> kMalformed = {
    "none",      "short_header", "is_response",  "qdcount", "bad_name",
    "truncated", "bad_opt",      "multiple_opt", "trailing"};

constexpr std::array<std::string_view, 4> kStates = {"unknown", "up", "down", "drained"};

void header(Buf& b, std::string_view name, std::string_view type, std::string_view help) {
  fmt::format_to(fmt::appender(b), FMT_COMPILE("# HELP {} {}\n# TYPE {} {}\n"), name, help, name, type);
}

uint64_t load(const server::Counter& c) { return c.load(std::memory_order_relaxed); }

template <typename F>
uint64_t sum(std::span<const server::WorkerCounters* const> ws, F&& pick) {
  uint64_t s = 0;
  for (const auto* w : ws) s += load(pick(*w));
  return s;
}

// Emits _bucket (cumulative, ending with le="+Inf"), _sum and _count.
// `labels` is either empty or `name="value",` (with the trailing comma).
template <const auto& kBounds>
void histogram(Buf& b, std::string_view name, std::string_view labels, const app::Histogram& h) {
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

void render_dns(const MetricsInput& in, Buf& b) {
  auto out = fmt::appender(b);
  auto ws = in.workers;
  header(b, "fodns_dns_queries_total", "counter", "DNS queries parsed, by transport.");
  fmt::format_to(out, FMT_COMPILE("fodns_dns_queries_total{{transport=\"udp\"}} {}\n"),
                 sum(ws, [](auto& w) -> auto& { return w.queries[0]; }));
  fmt::format_to(out, FMT_COMPILE("fodns_dns_queries_total{{transport=\"tcp\"}} {}\n"),
                 sum(ws, [](auto& w) -> auto& { return w.queries[1]; }));

  header(b, "fodns_dns_queries_by_type_total", "counter",
         "DNS queries parsed, by query type (types not listed are \"other\").");
  for (size_t i = 0; i < kQtypeNames.size(); ++i) {
    fmt::format_to(out, FMT_COMPILE("fodns_dns_queries_by_type_total{{qtype=\"{}\"}} {}\n"), kQtypeNames[i],
                   sum(ws, [i](auto& w) -> auto& { return w.qtypes[i]; }));
  }

  header(b, "fodns_dns_responses_total", "counter", "DNS responses sent, by RCODE.");
  for (size_t i = 0; i < kRcodeNames.size(); ++i) {
    uint64_t v = sum(ws, [i](auto& w) -> auto& { return w.rcodes[i]; });
    // The common codes always, the rare ones once they occur (keeps the scrape short).
    if (v == 0 && i > 5 && i != 9) continue;
    fmt::format_to(out, FMT_COMPILE("fodns_dns_responses_total{{rcode=\"{}\"}} {}\n"), kRcodeNames[i], v);
  }

  header(b, "fodns_dns_truncated_total", "counter", "UDP responses sent with TC=1.");
  fmt::format_to(out, FMT_COMPILE("fodns_dns_truncated_total {}\n"),
                 sum(ws, [](auto& w) -> auto& { return w.truncated; }));
  header(b, "fodns_dns_response_bytes_total", "counter", "Bytes of DNS responses sent.");
  fmt::format_to(out, FMT_COMPILE("fodns_dns_response_bytes_total {}\n"),
                 sum(ws, [](auto& w) -> auto& { return w.response_bytes; }));

  header(b, "fodns_dns_malformed_total", "counter",
         "Malformed queries by reason (short_header and is_response are dropped, the rest get "
         "FORMERR).");
  for (size_t i = 1; i < kMalformed.size(); ++i) {
    fmt::format_to(out, FMT_COMPILE("fodns_dns_malformed_total{{reason=\"{}\"}} {}\n"), kMalformed[i],
                   sum(ws, [i](auto& w) -> auto& { return w.malformed[i]; }));
  }
  header(b, "fodns_dns_send_failures_total", "counter",
         "Replies dropped because the socket would not take them (send buffer full).");
  fmt::format_to(out, FMT_COMPILE("fodns_dns_send_failures_total {}\n"),
                 sum(ws, [](auto& w) -> auto& { return w.dropped_send; }));

  header(b, "fodns_dns_tcp_connections", "gauge", "DNS TCP connections open now.");
  fmt::format_to(out, FMT_COMPILE("fodns_dns_tcp_connections {}\n"),
                 sum(ws, [](auto& w) -> auto& { return w.tcp_open; }));
  header(b, "fodns_dns_tcp_connections_total", "counter", "DNS TCP connections accepted.");
  fmt::format_to(out, FMT_COMPILE("fodns_dns_tcp_connections_total {}\n"),
                 sum(ws, [](auto& w) -> auto& { return w.tcp_accepted; }));
  header(b, "fodns_dns_tcp_refused_total", "counter",
         "DNS TCP connections closed at once because a worker was at its connection limit.");
  fmt::format_to(out, FMT_COMPILE("fodns_dns_tcp_refused_total {}\n"),
                 sum(ws, [](auto& w) -> auto& { return w.tcp_refused; }));
  header(b, "fodns_dns_tcp_idle_closed_total", "counter",
         "DNS TCP connections closed after the idle timeout.");
  fmt::format_to(out, FMT_COMPILE("fodns_dns_tcp_idle_closed_total {}\n"),
                 sum(ws, [](auto& w) -> auto& { return w.tcp_idle_closed; }));

  header(b, "fodns_xfr_requests_total", "counter",
         "Zone transfer requests (AXFR, IXFR) by result: axfr, ixfr, ixfr_full (journal too "
         "short: whole zone), up_to_date, refused (ACL), notauth (TSIG), formerr.");
  for (size_t i = 0; i < static_cast<size_t>(xfr::TransferOutcome::kCount); ++i) {
    fmt::format_to(out, FMT_COMPILE("fodns_xfr_requests_total{{result=\"{}\"}} {}\n"),
                   xfr::outcome_name(static_cast<xfr::TransferOutcome>(i)),
                   sum(ws, [i](auto& w) -> auto& { return w.transfers[i]; }));
  }
}

void render_backends(const app::StatusData* st, Buf& b) {
  auto out = fmt::appender(b);
  static const std::vector<app::BackendStatus> kNone;
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
  for (size_t i = 0; i < backends.size(); ++i) {
    std::string_view cur =
        backends[i].drained ? std::string_view("drained") : std::string_view(backends[i].state);
    for (auto s : kStates)
      fmt::format_to(out, FMT_COMPILE("fodns_backend_state{{backend=\"{}\",state=\"{}\"}} {}\n"), label[i], s,
                     s == cur ? 1 : 0);
  }
  header(b, "fodns_probe_checks_total", "counter", "Finished probe checks by backend and result.");
  for (size_t i = 0; i < backends.size(); ++i) {
    // Every result always (zero until seen), so that rate() has a series from the first scrape on.
    for (size_t r = 0; r < app::kOutcomeNames.size(); ++r)
      fmt::format_to(out, FMT_COMPILE("fodns_probe_checks_total{{backend=\"{}\",result=\"{}\"}} {}\n"),
                     label[i], app::kOutcomeNames[r], backends[i].checks[r]);
  }
  header(b, "fodns_probe_rtt_seconds", "histogram", "Round-trip time of successful probes.");
  std::string labels;
  for (size_t i = 0; i < backends.size(); ++i) {
    labels.clear();
    fmt::format_to(std::back_inserter(labels), "backend=\"{}\",", label[i]);
    histogram<app::kRttBuckets>(b, "fodns_probe_rtt_seconds", labels, backends[i].rtt);
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
  app::Histogram h{std::vector<uint64_t>(health::kLagBuckets.size() + 1, 0), 0, 0};
  for (size_t i = 0; i < h.counts.size(); ++i) {
    h.counts[i] = ss.get(ss.buckets[i]);
    h.count += h.counts[i];
  }
  h.sum = static_cast<double>(ss.get(ss.lag_sum_us)) / 1e6;
  histogram<health::kLagBuckets>(b, "fodns_probe_schedule_lag_seconds", "", h);
}

void render_zones(const MetricsInput& in, Buf& b) {
  auto out = fmt::appender(b);
  const app::StatusData* st = in.status;
  static const std::vector<app::ZoneStatus> kNone;
  const auto& zones = st ? st->zones : kNone;
  std::vector<std::string> label;
  label.reserve(zones.size());
  for (const auto& z : zones) label.push_back(escape_label_value(z.name));

  header(b, "fodns_zone_serial", "gauge", "SOA serial of the zone as served.");
  for (size_t i = 0; i < zones.size(); ++i)
    fmt::format_to(out, FMT_COMPILE("fodns_zone_serial{{zone=\"{}\"}} {}\n"), label[i], zones[i].serial);
  header(b, "fodns_zone_notify_sent_total", "counter",
         "NOTIFY messages sent to the zone's secondaries, retries included.");
  for (size_t i = 0; i < zones.size(); ++i)
    fmt::format_to(out, FMT_COMPILE("fodns_zone_notify_sent_total{{zone=\"{}\"}} {}\n"), label[i],
                   zones[i].notify_sent);
  header(b, "fodns_zone_notify_answered_total", "counter", "NOTIFY messages a secondary answered.");
  for (size_t i = 0; i < zones.size(); ++i)
    fmt::format_to(out, FMT_COMPILE("fodns_zone_notify_answered_total{{zone=\"{}\"}} {}\n"),
                   label[i], zones[i].notify_answered);
  header(b, "fodns_zone_notify_failed_total", "counter",
         "NOTIFYs given up after every retry went unanswered.");
  for (size_t i = 0; i < zones.size(); ++i)
    fmt::format_to(out, FMT_COMPILE("fodns_zone_notify_failed_total{{zone=\"{}\"}} {}\n"), label[i],
                   zones[i].notify_gave_up);
  header(b, "fodns_zone_records_stored", "gauge", "Records of the zone in the database.");
  for (size_t i = 0; i < zones.size(); ++i)
    fmt::format_to(out, FMT_COMPILE("fodns_zone_records_stored{{zone=\"{}\"}} {}\n"), label[i],
                   zones[i].records_stored);
  header(b, "fodns_zone_records_served", "gauge",
         "Records of the zone in the served snapshot (after health filtering).");
  for (size_t i = 0; i < zones.size(); ++i)
    fmt::format_to(out, FMT_COMPILE("fodns_zone_records_served{{zone=\"{}\"}} {}\n"), label[i],
                   zones[i].records_served);

  header(b, "fodns_snapshot_loaded", "gauge", "1 once a zone snapshot is being served.");
  fmt::format_to(out, FMT_COMPILE("fodns_snapshot_loaded {}\n"), st && st->snapshot_loaded ? 1 : 0);
  header(b, "fodns_snapshot_generation", "gauge", "Generation number of the served snapshot.");
  if (st) fmt::format_to(out, FMT_COMPILE("fodns_snapshot_generation {}\n"), st->snapshot_generation);
  header(b, "fodns_snapshot_age_seconds", "gauge", "Seconds since the served snapshot was published.");
  if (st && st->snapshot_loaded && st->snapshot_published_ms > 0 && in.process.now_ms > 0) {
    int64_t age = in.process.now_ms - st->snapshot_published_ms;
    fmt::format_to(out, FMT_COMPILE("fodns_snapshot_age_seconds {:.3f}\n"),
                   static_cast<double>(age < 0 ? 0 : age) / 1000.0);
  }
  header(b, "fodns_snapshot_rebuilds_total", "counter", "Snapshot rebuilds since start.");
  fmt::format_to(out, FMT_COMPILE("fodns_snapshot_rebuilds_total {}\n"), st ? st->rebuilds : 0);
  header(b, "fodns_snapshot_rebuild_seconds", "histogram", "Duration of snapshot rebuilds.");
  histogram<app::kRebuildBuckets>(b, "fodns_snapshot_rebuild_seconds", "",
                                  st ? st->rebuild_seconds : app::Histogram{});
  header(b, "fodns_dns_listeners_up", "gauge", "1 when every DNS listener is up.");
  fmt::format_to(out, FMT_COMPILE("fodns_dns_listeners_up {}\n"), st && st->listeners_up ? 1 : 0);
}

void render_http(const HttpStats& h, Buf& b) {
  auto out = fmt::appender(b);
  header(b, "fodns_http_requests_total", "counter",
         "HTTP requests answered by the metrics server, by handler and status code.");
  for (size_t i = 0; i < kHandlerNames.size(); ++i) {
    for (size_t c = 0; c < kHttpCodes.size(); ++c) {
      uint64_t v = h.requests[i][c].load(std::memory_order_relaxed);
      if (v == 0 && !(c == 0 && i != static_cast<size_t>(Handler::Other))) continue;
      fmt::format_to(out, FMT_COMPILE("fodns_http_requests_total{{handler=\"{}\",code=\"{}\"}} {}\n"),
                     kHandlerNames[i], kHttpCodes[c], v);
    }
  }
  header(b, "fodns_http_connections", "gauge", "HTTP connections open now.");
  fmt::format_to(out, FMT_COMPILE("fodns_http_connections {}\n"), h.connections.load(std::memory_order_relaxed));
}

void render_process(const ProcessInfo& p, Buf& b) {
  auto out = fmt::appender(b);
  header(b, "fodns_build_info", "gauge", "Always 1; the version is a label.");
  fmt::format_to(out, FMT_COMPILE("fodns_build_info{{version=\"{}\"}} 1\n"), escape_label_value(p.version));
  header(b, "fodns_process_start_time_seconds", "gauge", "Start time of the process, unix seconds.");
  fmt::format_to(out, FMT_COMPILE("fodns_process_start_time_seconds {:.3f}\n"), p.start_time_seconds);
  header(b, "fodns_process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
  if (p.resident_bytes >= 0)
    fmt::format_to(out, FMT_COMPILE("fodns_process_resident_memory_bytes {}\n"), p.resident_bytes);
  header(b, "fodns_process_open_fds", "gauge", "Open file descriptors.");
  if (p.open_fds >= 0) fmt::format_to(out, FMT_COMPILE("fodns_process_open_fds {}\n"), p.open_fds);
  header(b, "fodns_process_max_fds", "gauge", "Limit of open file descriptors (RLIMIT_NOFILE).");
  if (p.max_fds >= 0) fmt::format_to(out, FMT_COMPILE("fodns_process_max_fds {}\n"), p.max_fds);
  header(b, "fodns_process_cpu_seconds_total", "counter", "User and system CPU time used.");
  if (p.cpu_seconds >= 0) fmt::format_to(out, FMT_COMPILE("fodns_process_cpu_seconds_total {:.2f}\n"), p.cpu_seconds);
}

}  // namespace

void HttpStats::count(Handler h, int code) {
  for (size_t c = 0; c < kHttpCodes.size(); ++c) {
    if (kHttpCodes[c] == code) {
      requests[static_cast<size_t>(h)][c].fetch_add(1, std::memory_order_relaxed);
      return;
    }
  }
}

std::string escape_label_value(std::string_view v) {
  std::string s;
  s.reserve(v.size() + 2);
  for (char c : v) {
    switch (c) {
      case '\\': s += "\\\\"; break;
      case '"': s += "\\\""; break;
      case '\n': s += "\\n"; break;
      default: s += c;
    }
  }
  return s;
}

std::string_view qtype_bucket_name(size_t bucket) {
  return bucket < kQtypeNames.size() ? kQtypeNames[bucket] : "other";
}
std::string_view rcode_name(size_t rcode) {
  return rcode < kRcodeNames.size() ? kRcodeNames[rcode] : "other";
}
std::string_view malformed_reason(size_t why) {
  return why < kMalformed.size() ? kMalformed[why] : "other";
}

void render_metrics(const MetricsInput& in, fmt::memory_buffer& out) {
  // ~1.6 KB per backend (about 30 series) and 8 KB for the rest; one
  // reservation up front instead of doubling through 20 MB for 10,000 backends.
  size_t backends = in.status ? in.status->backends.size() : 0;
  size_t zones = in.status ? in.status->zones.size() : 0;
  out.reserve(out.size() + 16384 + backends * 1800 + zones * 200);
  render_dns(in, out);
  render_backends(in.status, out);
  if (in.probes) render_probe_metrics(*in.probes, out);
  if (in.schedule) render_schedule(*in.schedule, out);
  render_zones(in, out);
  render_database_metrics(in.status, out);
  if (in.http) render_http(*in.http, out);
  render_process(in.process, out);
}

std::string render_metrics(const MetricsInput& in) {
  fmt::memory_buffer b;
  render_metrics(in, b);
  return fmt::to_string(b);
}

ProcessInfo read_process_info(double start_time_seconds, int64_t now_ms) {
  ProcessInfo p;
  p.start_time_seconds = start_time_seconds;
  p.now_ms = now_ms;
  long page = sysconf(_SC_PAGESIZE);
  if (FILE* f = std::fopen("/proc/self/statm", "re")) {
    long long size = 0, resident = 0;
    if (std::fscanf(f, "%lld %lld", &size, &resident) == 2) p.resident_bytes = resident * page;
    std::fclose(f);
  }
  if (FILE* f = std::fopen("/proc/self/stat", "re")) {
    // Fields 14 and 15 (utime, stime) in clock ticks; field 2 (comm) may hold
    // spaces, so start after its closing parenthesis.
    char buf[1024];
    size_t n = std::fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    std::fclose(f);
    if (const char* close = std::strrchr(buf, ')')) {
      unsigned long long utime = 0, stime = 0;
      if (std::sscanf(close + 2,
                      "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
                      &stime) == 2) {
        p.cpu_seconds = static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
      }
    }
  }
  if (DIR* d = opendir("/proc/self/fd")) {
    int64_t n = 0;
    while (const dirent* e = readdir(d)) {
      if (e->d_name[0] != '.') ++n;
    }
    closedir(d);
    p.open_fds = n > 0 ? n - 1 : 0;  // minus the descriptor opendir() itself holds
  }
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
    p.max_fds = static_cast<int64_t>(rl.rlim_cur);
  return p;
}

}  // namespace fodns::http
