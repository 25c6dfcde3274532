// Prometheus text exposition (format 0.0.4) of everything fodns counts.
// A pure function of its input: the StatusData the control loop published,
// the per-worker DNS counters (read with relaxed loads and summed here, so
// the query path never shares a cache line or takes a lock), and a few
// process figures. Threading: called on the HTTP thread; the caller keeps the
// StatusData alive (shared_ptr) for the duration of the call.
//
// Exported metrics (every family always has HELP/TYPE lines, even when empty):
//   fodns_dns_queries_total{transport}            udp | tcp; parsed queries
//   fodns_dns_queries_by_type_total{qtype}        A, NS, ..., ANY, other
//   fodns_dns_responses_total{rcode}              NOERROR, NXDOMAIN, ...
//   fodns_dns_truncated_total, fodns_dns_response_bytes_total
//   fodns_dns_malformed_total{reason}             why parse_query() failed
//   fodns_dns_send_failures_total                 replies the socket refused
//   fodns_dns_tcp_connections (gauge), fodns_dns_tcp_connections_total,
//   fodns_dns_tcp_refused_total, fodns_dns_tcp_idle_closed_total
//   fodns_backend_up{backend}                     1 when the probes say up (a drain does not change it)
//   fodns_backend_drained{backend}
//   fodns_backend_state{backend,state}            unknown|up|down|drained; a drain wins, as in /status
//   fodns_probe_checks_total{backend,result}      ok, timeout, refused, unreachable, bad_status, garbage, error
//   fodns_probe_rtt_seconds{backend}              histogram of successful probes
//   fodns_backend_failovers_total{backend,direction}  down | up
//   fodns_probe_rounds_total, fodns_probe_rounds_skipped_total
//   fodns_probe_rounds_late_total, fodns_probe_rounds_missed_total,
//   fodns_probe_schedule_lag_seconds (histogram)   how punctually rounds start (optional)
//   fodns_probe_garbage_total{kind}, fodns_probe_unmatched_total{kind},
//   fodns_probe_provisional_total, fodns_probe_retransmissions_total (process-wide, optional)
//   fodns_zone_serial{zone}, fodns_zone_records_stored{zone}, fodns_zone_records_served{zone}
//   fodns_snapshot_loaded, fodns_snapshot_generation, fodns_snapshot_age_seconds,
//   fodns_snapshot_rebuilds_total, fodns_snapshot_rebuild_seconds (histogram)
//   fodns_dns_listeners_up
//   fodns_http_requests_total{handler,code}, fodns_http_connections (optional)
//   fodns_build_info{version}, fodns_process_start_time_seconds,
//   fodns_process_resident_memory_bytes, fodns_process_open_fds, fodns_process_max_fds,
//   fodns_process_cpu_seconds_total
#pragma once

#include <fmt/format.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "status/status_board.h"
#include "health/schedule_stats.h"
#include "probes/probe_metrics.h"
#include "server/counters.h"

namespace fodns::http {

/// Process figures; a negative value means "unknown" and the sample is left out.
struct ProcessInfo {
  std::string version = FODNS_VERSION;
  double start_time_seconds = 0;  // unix seconds
  int64_t now_ms = 0;             // unix ms, for the snapshot age
  int64_t resident_bytes = -1;
  int64_t open_fds = -1;
  int64_t max_fds = -1;
  double cpu_seconds = -1;
};

/// Reads /proc/self/{statm,stat,fd} and RLIMIT_NOFILE. Cheap (a few syscalls);
/// fields it cannot read stay negative.
ProcessInfo read_process_info(double start_time_seconds, int64_t now_ms);

/// Which route a request hit, for fodns_http_requests_total{handler}.
enum class Handler : uint8_t { Metrics, Healthz, Status, Other, kCount };
inline constexpr std::array<std::string_view, 4> kHandlerNames = {"metrics", "healthz", "status",
                                                                  "other"};
/// The status codes the server answers with, for fodns_http_requests_total{code}.
inline constexpr std::array<int, 5> kHttpCodes = {200, 404, 405, 503, 500};

/// Counters of the HTTP server itself: written on the HTTP thread, read at scrape.
struct HttpStats {
  std::atomic<uint64_t> requests[static_cast<size_t>(Handler::kCount)][kHttpCodes.size()]{};
  std::atomic<int64_t> connections{0};  // open right now
  std::atomic<uint64_t> evicted{0};     // idle connections closed to make room (HttpSlots)

  void count(Handler h, int code);
};

struct MetricsInput {
  const status::StatusData* status = nullptr;  // null before the first publish
  std::span<const server::WorkerCounters* const> workers;
  ProcessInfo process;
  const probes::ProbeMetrics* probes = nullptr;  // null: those families are left out
  const HttpStats* http = nullptr;               // null: left out
  const health::ScheduleStats* schedule = nullptr;  // null: left out
};

/// Appends the exposition to `out`. Backends and zones are emitted in the
/// order of StatusData; names are escaped as label values (\\, \", \n).
void render_metrics(const MetricsInput& in, fmt::memory_buffer& out);
std::string render_metrics(const MetricsInput& in);

/// Escapes a Prometheus label value: backslash, double quote and newline.
std::string escape_label_value(std::string_view v);

}  // namespace fodns::http
