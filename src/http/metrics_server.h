// MetricsServer: the HTTP side of fodns — GET/HEAD /metrics (Prometheus text
// 0.0.4), /healthz and /status — on libmicrohttpd.
//
// Threading: start()/stop() are called from the control thread. Requests are
// served on one internal libmicrohttpd thread (epoll), which reads only the
// StatusBoard (one pointer copy under its mutex) and the workers' counters
// (relaxed loads). It never touches SQLite, a DNS worker's loop or the
// control loop, so a slow or hostile HTTP client cannot slow DNS answering;
// and it runs at nice kHttpThreadNice, so that neither can a scrape storm on
// a machine whose CPU the DNS workers need.
//
// Bounds (MetricsServerOptions): at most 128 connections, 16 from one IP, a
// 10 s inactivity timeout (a client that connects and sends nothing is
// closed), and 32 KiB per connection for the request line and headers
// (bigger requests get 431 or are closed). At the limit a newcomer closes the
// oldest idle connection, and /metrics and /status may hold all but 16 of
// them, so /healthz is never starved (http_slots.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "status/status_board.h"
#include "common/result.h"
#include "http/http_slots.h"
#include "http/metrics_render.h"
#include "server/counters.h"
#include "server/listen_address.h"

struct MHD_Daemon;
struct MHD_Connection;

namespace fodns::http {

inline constexpr std::string_view kDefaultHttpAddress = "127.0.0.1:9153";
/// The HTTP thread's nice value: the lowest priority.
inline constexpr int kHttpThreadNice = 19;

/// Parses the --http value: "ADDR:PORT" (IPv4), "[IPv6]:PORT", or "none".
/// @return the address, std::nullopt for "none" (no HTTP server), or an error
///         worth printing as is ("--http '...': ...").
Result<std::optional<server::ListenAddress>> parse_http_address(std::string_view text);

struct MetricsServerOptions {
  // 16 per IP is plenty for a Prometheus pair and Grafana, and it takes 8
  // addresses to fill the 128 slots (128 x 32 KiB = 4 MiB of request buffers).
  unsigned connection_limit = 128;
  unsigned per_ip_connection_limit = 16;
  unsigned timeout_seconds = 10;           // idle connections are closed after this
  size_t connection_memory_limit = 32768;  // bytes for the request line + headers
  /// Process-wide probe counters to export; null leaves those families out.
  const probes::ProbeMetrics* probe_metrics = nullptr;
  /// Probe schedule punctuality to export (the process-wide one unless a test
  /// gives its own); null leaves those families out.
  const health::ScheduleStats* schedule_stats = &health::schedule_stats();
  /// Reuse a /metrics render for at least this long (tests: makes reuse certain
  /// instead of depending on how long a render took); 0 in production.
  int64_t render_reuse_floor_us = 0;
};

/// Returns the counters of every DNS worker; the pointers must stay valid for
/// the server's life. Called on the HTTP thread at every scrape.
using WorkerCountersFn = std::function<std::vector<const server::WorkerCounters*>()>;

class MetricsServer {
 public:
  MetricsServer(server::ListenAddress address, const status::StatusBoard& board,
                WorkerCountersFn workers, std::chrono::system_clock::time_point start_time,
                MetricsServerOptions options = {});
  ~MetricsServer();  // stop()
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  /// Binds the address and starts the HTTP thread. Errors (address in use,
  /// permission) are meant to be fatal at startup.
  Status start();
  /// Closes the listening socket and every connection, joins the thread. Idempotent.
  void stop();

  /// The bound port (the real one when the address said port 0); 0 before start().
  uint16_t port() const { return bound_port_; }
  /// "127.0.0.1:9153" as bound.
  const std::string& bound_address() const { return bound_text_; }
  const HttpStats& stats() const { return stats_; }

  /// The three documents, as the routes serve them (also used by tests).
  std::string render_metrics_text() const;
  /// @return {status code, body}: 200 "ok\n" or 503 and a one-line reason.
  std::pair<int, std::string> health() const;
  std::string status_json() const;

 private:
  struct Access;  // the libmicrohttpd callbacks
  void render_into(fmt::memory_buffer& out) const;
  /// The last /metrics render if it is recent enough, else a new one. HTTP thread only.
  std::shared_ptr<const fmt::memory_buffer> cached_render();

  server::ListenAddress address_;
  const status::StatusBoard& board_;
  WorkerCountersFn workers_;
  double start_time_seconds_;
  MetricsServerOptions options_;
  MHD_Daemon* daemon_ = nullptr;
  std::unique_ptr<HttpSlots> slots_;  // HTTP thread only, between start() and stop()
  uint16_t bound_port_ = 0;
  std::string bound_text_;
  mutable HttpStats stats_;
  // Owned by the HTTP thread (libmicrohttpd runs one): see cached_render().
  /// Requests counted on every route but /metrics 200: a change means the cache is stale.
  uint64_t requests_besides_scrapes() const;
  std::shared_ptr<const fmt::memory_buffer> cache_;
  std::shared_ptr<const status::StatusData> cache_board_;  // what cache_ was rendered from
  uint64_t cache_others_ = 0;
  int64_t cache_at_us_ = 0;
  int64_t cache_render_us_ = 0;
};

}  // namespace fodns::http
