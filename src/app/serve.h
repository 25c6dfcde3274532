// `fodns serve`: wires store -> snapshot builder -> publisher -> DNS workers
// (its options are read by cli/serve_cmd.cc).
// Threading: run_server owns the main thread until SIGINT/SIGTERM.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "app/control_loop.h"
#include "server/listen_address.h"
#include "server/rrl.h"

namespace fodns::app {

struct GlobalOptions {
  std::string db_path;  // resolved: --db, else $FODNS_DB, else ./fodns.db
};

struct ServeOptions {
  std::vector<server::ListenAddress> listen;
  int threads = 1;
  uint64_t tcp_idle_ms = 10000;
  uint64_t tcp_io_ms = 2000;          // --tcp-io-timeout
  size_t max_tcp = 1024;
  uint32_t max_tcp_per_address = 32;  // --max-tcp-per-address; 0 = no limit
  bool probes = true;
  std::optional<server::ListenAddress> http;  // metrics/status endpoint; none when empty
  uint32_t log_queries_every = 0;             // --log-queries: one query in N is logged; 0 = none
  server::RrlConfig rrl = server::default_rrl_config();  // --rrl-*
};

/// Extension points for commands built on the server (`fodns demo`).
struct ServerHooks {
  /// Runs on the control loop before the database is loaded and backends are first probed.
  std::function<Status(ControlLoop&)> prepare;
  /// Runs on the control loop after the workers started, before the loop runs.
  std::function<Status(ControlLoop&)> before_run;
  /// Runs after the loop stopped (Ctrl-C), before the workers are joined.
  std::function<void(ControlLoop&)> after_run;
  /// Called on the control loop after every snapshot publish.
  std::function<void(const PublishEvent&)> on_published;
};

/// Starts workers and the control loop and runs until SIGINT/SIGTERM.
/// @return the process exit code.
int run_server(const GlobalOptions& global, ServeOptions opts, const ServerHooks& hooks);

}  // namespace fodns::app
