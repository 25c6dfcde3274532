#include "http/metrics_render.h"
#include "http/metrics_parts.h"

#include "http/database_metrics.h"

#include <fmt/compile.h>

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <iterator>
#include <vector>

#include "dns/mnemonic.h"

namespace fodns::http {

namespace {

using namespace detail;

// In step with zone::ResponseClass and dns::CookieVerdict.
constexpr std::array<std::string_view, static_cast<size_t>(zone::ResponseClass::kCount)> kRrlClasses = {
    "positive", "nodata", "nxdomain", "referral", "wildcard", "error"};
constexpr std::array<std::string_view, 4> kCookieResults = {"none", "client_only", "invalid", "valid"};

// The `rcode` label of WorkerCounters::rcodes[i]: the mnemonic, RCODEn where there is none.
const std::array<std::string, 17>& rcode_labels() {
  static const std::array<std::string, 17> names = [] {
    std::array<std::string, 17> a;
    for (uint16_t i = 0; i < a.size(); ++i) {
      const char* n = dns::rcode_name(i);
      a[i] = n ? n : fmt::format("RCODE{}", i);
    }
    return a;
  }();
  return names;
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
  for (size_t i = 0; i <= server::kQtypeOther; ++i) {
    fmt::format_to(out, FMT_COMPILE("fodns_dns_queries_by_type_total{{qtype=\"{}\"}} {}\n"),
                   server::qtype_bucket_name(i),
                   sum(ws, [i](auto& w) -> auto& { return w.qtypes[i]; }));
  }

  header(b, "fodns_dns_responses_total", "counter", "DNS responses sent, by RCODE.");
  const auto& rcodes = rcode_labels();
  for (size_t i = 0; i < rcodes.size(); ++i) {
    uint64_t v = sum(ws, [i](auto& w) -> auto& { return w.rcodes[i]; });
    // The common codes always, the rare ones once they occur (keeps the scrape short).
    if (v == 0 && i > 5 && i != 9) continue;
    fmt::format_to(out, FMT_COMPILE("fodns_dns_responses_total{{rcode=\"{}\"}} {}\n"), rcodes[i], v);
  }

  header(b, "fodns_dns_truncated_total", "counter", "UDP responses sent with TC=1.");
  fmt::format_to(out, FMT_COMPILE("fodns_dns_truncated_total {}\n"),
                 sum(ws, [](auto& w) -> auto& { return w.truncated; }));
  // Response rate limiting and cookies (server/answer_guard.h).
  header(b, "fodns_rrl_limited_total", "counter",
         "UDP responses over the rate limit (dropped or slipped), by response class.");
  for (size_t i = 0; i < kRrlClasses.size(); ++i)
    fmt::format_to(out, FMT_COMPILE("fodns_rrl_limited_total{{class=\"{}\"}} {}\n"), kRrlClasses[i],
                   sum(ws, [i](auto& w) -> auto& { return w.rrl_limited[i]; }));
  header(b, "fodns_rrl_slipped_total", "counter",
         "Rate-limited responses sent as a TC=1 or BADCOOKIE reply, by response class.");
  for (size_t i = 0; i < kRrlClasses.size(); ++i)
    fmt::format_to(out, FMT_COMPILE("fodns_rrl_slipped_total{{class=\"{}\"}} {}\n"), kRrlClasses[i],
                   sum(ws, [i](auto& w) -> auto& { return w.rrl_slipped[i]; }));
  header(b, "fodns_dns_cookies_total", "counter",
         "Queries with a DNS COOKIE option, by what it held (RFC 7873 §5.2).");
  for (size_t i = 1; i < kCookieResults.size(); ++i)
    fmt::format_to(out, FMT_COMPILE("fodns_dns_cookies_total{{result=\"{}\"}} {}\n"), kCookieResults[i],
                   sum(ws, [i](auto& w) -> auto& { return w.cookies[i]; }));
  header(b, "fodns_dns_response_bytes_total", "counter", "Bytes of DNS responses sent.");
  fmt::format_to(out, FMT_COMPILE("fodns_dns_response_bytes_total {}\n"),
                 sum(ws, [](auto& w) -> auto& { return w.response_bytes; }));

  header(b, "fodns_dns_malformed_total", "counter",
         "Malformed queries by reason (short_header and is_response are dropped, the rest get "
         "FORMERR).");
  for (size_t i = 1; i < static_cast<size_t>(dns::Malformed::kCount); ++i) {
    fmt::format_to(out, FMT_COMPILE("fodns_dns_malformed_total{{reason=\"{}\"}} {}\n"),
                   dns::malformed_name(static_cast<dns::Malformed>(i)),
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
         "DNS TCP connections closed at once, by reason: per_address (the client's address "
         "held --max-tcp-per-address), full (every slot busy, none could be freed).");
  for (size_t i = 0; i < 2; ++i) {
    fmt::format_to(out, FMT_COMPILE("fodns_dns_tcp_refused_total{{reason=\"{}\"}} {}\n"),
                   i == 0 ? "per_address" : "full",
                   sum(ws, [i](auto& w) -> auto& { return w.tcp_refused[i]; }));
  }
  header(b, "fodns_dns_tcp_idle_closed_total", "counter",
         "DNS TCP connections closed after the idle timeout (shorter when slots run short).");
  fmt::format_to(out, FMT_COMPILE("fodns_dns_tcp_idle_closed_total {}\n"),
                 sum(ws, [](auto& w) -> auto& { return w.tcp_idle_closed; }));
  header(b, "fodns_dns_tcp_io_timeout_total", "counter",
         "DNS TCP connections closed because a message was not complete, or a reply not taken, "
         "within --tcp-io-timeout.");
  fmt::format_to(out, FMT_COMPILE("fodns_dns_tcp_io_timeout_total {}\n"),
                 sum(ws, [](auto& w) -> auto& { return w.tcp_io_timeout; }));
  header(b, "fodns_dns_tcp_evicted_total", "counter",
         "DNS TCP connections closed, longest idle first, to make room for a new one.");
  fmt::format_to(out, FMT_COMPILE("fodns_dns_tcp_evicted_total {}\n"),
                 sum(ws, [](auto& w) -> auto& { return w.tcp_evicted; }));

  header(b, "fodns_xfr_requests_total", "counter",
         "Zone transfer requests (AXFR, IXFR) by result: axfr, ixfr, ixfr_full (journal too "
         "short: whole zone), up_to_date, refused (ACL), notauth (TSIG), formerr.");
  for (size_t i = 0; i < static_cast<size_t>(xfr::TransferOutcome::kCount); ++i) {
    fmt::format_to(out, FMT_COMPILE("fodns_xfr_requests_total{{result=\"{}\"}} {}\n"),
                   xfr::outcome_name(static_cast<xfr::TransferOutcome>(i)),
                   sum(ws, [i](auto& w) -> auto& { return w.transfers[i]; }));
  }
}

void render_zones(const MetricsInput& in, Buf& b) {
  auto out = fmt::appender(b);
  const status::StatusData* st = in.status;
  static const std::vector<status::ZoneStatus> kNone;
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
  histogram<status::kRebuildBuckets>(b, "fodns_snapshot_rebuild_seconds", "",
                                  st ? st->rebuild_seconds : status::Histogram{});
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
  header(b, "fodns_http_connections_evicted_total", "counter",
         "Idle HTTP connections closed, oldest first, to make room for a new one.");
  fmt::format_to(out, FMT_COMPILE("fodns_http_connections_evicted_total {}\n"),
                 h.evicted.load(std::memory_order_relaxed));
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
