#include "app/serve.h"

#include <netinet/in.h>
#include <signal.h>
#include <unistd.h>

#include <cxxopts.hpp>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "app/control_loop.h"
#include "app/status_board.h"
#include "common/log.h"
#include "http/metrics_server.h"
#include "probes/probe_metrics.h"
#include "probes/probe.h"
#include "server/listen_address.h"
#include "server/publisher.h"
#include "server/socket_opts.h"
#include "server/worker.h"

namespace fodns::app {
namespace {

constexpr int kExitUsage = 1;
constexpr int kExitRuntime = 3;



int default_threads() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

// Binds one socket of each kind per worker. A port of 0 is resolved once so
// that every worker shares the port the kernel picked.
Status open_sockets(ServeOptions& opts, std::vector<server::WorkerConfig>& configs) {
  for (auto& addr : opts.listen) {
    if (addr.port() == 0) {
      auto probe = server::open_udp_socket(addr);
      if (!probe) return probe.error();
      uint16_t port = server::bound_port(*probe);
      ::close(*probe);
      auto* sa = reinterpret_cast<sockaddr*>(&addr.addr);
      if (sa->sa_family == AF_INET) reinterpret_cast<sockaddr_in*>(sa)->sin_port = htons(port);
      else reinterpret_cast<sockaddr_in6*>(sa)->sin6_port = htons(port);
    }
    for (auto& cfg : configs) {
      auto udp = server::open_udp_socket(addr);
      if (!udp) return udp.error();
      cfg.udp_fds.push_back(*udp);
      auto tcp = server::open_tcp_listener(addr, 256);
      if (!tcp) return tcp.error();
      cfg.tcp_fds.push_back(*tcp);
    }
  }
  return ok_status();
}

struct SignalWatch {
  uv_signal_t sigint{}, sigterm{};
};

}  // namespace

int run_serve(const GlobalOptions& global, int argc, char** argv) {
  cxxopts::Options options("fodns serve", "Serve the zones of the database over DNS (UDP and TCP).");
  options.add_options()
      ("listen", "Address to serve on, ADDR:PORT or [ADDR6]:PORT; repeat for several "
                 "(default: 127.0.0.1:5353 and [::1]:5353)", cxxopts::value<std::vector<std::string>>())
      ("threads", "DNS worker threads, each with its own sockets (default: one per CPU)",
       cxxopts::value<int>()->default_value(std::to_string(default_threads())))
      ("tcp-idle-timeout", "Close TCP connections idle this many milliseconds",
       cxxopts::value<uint64_t>()->default_value("10000"))
      ("max-tcp-connections", "Open TCP connections per worker thread",
       cxxopts::value<size_t>()->default_value("1024"))
      ("http", "HTTP address for /metrics, /healthz and /status, ADDR:PORT or [ADDR6]:PORT, or none",
       cxxopts::value<std::string>()->default_value(std::string(http::kDefaultHttpAddress)))
      ("no-probes", "Do not probe backends; serve the health stored in the database")
      ("log-level", "debug, info, warn or error", cxxopts::value<std::string>()->default_value("info"))
      ("h,help", "Show this help");
  ServeOptions opts;
  try {
    auto r = options.parse(argc, argv);
    if (r.count("help")) {
      fmt::print("{}", options.help());
      return 0;
    }
    if (!r.unmatched().empty()) {
      fmt::print(stderr, "serve: unexpected argument '{}'\n", r.unmatched().front());
      return kExitUsage;
    }
    std::vector<std::string> listen = {"127.0.0.1:5353", "[::1]:5353"};
    if (r.count("listen")) listen = r["listen"].as<std::vector<std::string>>();
    for (const auto& l : listen) {
      auto a = server::parse_listen_address(l);
      if (!a) {
        fmt::print(stderr, "serve: --listen: {}\n", a.error().message);
        return kExitUsage;
      }
      opts.listen.push_back(*a);
    }
    opts.threads = r["threads"].as<int>();
    if (opts.threads < 1 || opts.threads > 256) {
      fmt::print(stderr, "serve: --threads: {} is not between 1 and 256\n", opts.threads);
      return kExitUsage;
    }
    opts.tcp_idle_ms = r["tcp-idle-timeout"].as<uint64_t>();
    if (opts.tcp_idle_ms < 100) {
      fmt::print(stderr, "serve: --tcp-idle-timeout: {} ms is below the 100 ms minimum\n", opts.tcp_idle_ms);
      return kExitUsage;
    }
    opts.max_tcp = r["max-tcp-connections"].as<size_t>();
    opts.probes = r.count("no-probes") == 0;
    auto http_addr = http::parse_http_address(r["http"].as<std::string>());
    if (!http_addr) {
      fmt::print(stderr, "serve: {}\n", http_addr.error().message);
      return kExitUsage;
    }
    opts.http = *http_addr;
    log::Level level;
    if (!log::parse_level(r["log-level"].as<std::string>(), &level)) {
      fmt::print(stderr, "serve: --log-level: '{}' is not one of debug, info, warn, error\n",
                 r["log-level"].as<std::string>());
      return kExitUsage;
    }
    log::set_level(level);
  } catch (const cxxopts::exceptions::exception& e) {
    fmt::print(stderr, "serve: {}\n", e.what());
    return kExitUsage;
  }

  return run_server(global, opts, {});
}

int run_server(const GlobalOptions& global, ServeOptions opts, const ServerHooks& hooks) {
  server::Publisher publisher;
  ControlLoopConfig cc;
  cc.db_path = global.db_path;
  cc.probes = opts.probes;
  cc.on_published = hooks.on_published;
  health::ProbeRunner::Factory factory = probes::make_probe;
  if (!opts.probes) factory = [](uv_loop_t*, const probes::Target&) -> std::unique_ptr<probes::Probe> { return nullptr; };
  StatusBoard board;
  ControlLoop control(cc, publisher, factory, &board);
  if (hooks.prepare) {
    if (auto st = hooks.prepare(control); !st) {
      log::error("msg=\"cannot start\" error=\"{}\"", st.error().message);
      return kExitRuntime;
    }
  }
  if (auto st = control.load_initial(); !st) {
    log::error("msg=\"cannot start\" error=\"{}\"", st.error().message);
    return kExitRuntime;
  }

  std::vector<server::WorkerConfig> configs(static_cast<size_t>(opts.threads));
  for (auto& c : configs) {
    c.tcp_idle_ms = opts.tcp_idle_ms;
    c.max_tcp_connections = opts.max_tcp;
  }
  if (auto st = open_sockets(opts, configs); !st) {
    for (auto& c : configs) {
      for (int fd : c.udp_fds) ::close(fd);
      for (int fd : c.tcp_fds) ::close(fd);
    }
    log::error("msg=\"cannot start\" error=\"{}\"", st.error().message);
    return kExitRuntime;
  }
  std::vector<std::unique_ptr<server::Worker>> workers;
  for (int i = 0; i < opts.threads; ++i) {
    workers.push_back(std::make_unique<server::Worker>(i, publisher, std::move(configs[static_cast<size_t>(i)])));
    if (auto st = workers.back()->start(); !st) {
      log::error("msg=\"cannot start worker\" error=\"{}\"", st.error().message);
      return kExitRuntime;
    }
  }

  control.set_listeners_up(true);

  std::unique_ptr<http::MetricsServer> metrics;
  if (opts.http) {
    std::vector<const server::WorkerCounters*> counters;
    for (const auto& w : workers) counters.push_back(&w->counters());
    http::MetricsServerOptions mo;
    mo.probe_metrics = &probes::probe_metrics();
    metrics = std::make_unique<http::MetricsServer>(
        *opts.http, board, [counters] { return counters; }, std::chrono::system_clock::now(), mo);
    if (auto st = metrics->start(); !st) {
      log::error("msg=\"cannot start\" error=\"{}\"", st.error().message);
      for (auto& w : workers) w->stop();
      return kExitRuntime;
    }
  }

  std::string where;
  for (const auto& a : opts.listen) {
    if (!where.empty()) where += ",";
    where += server::format_address(reinterpret_cast<const sockaddr*>(&a.addr));
  }
  std::string zones;
  const auto& snap = control.current();
  for (size_t i = 0; i < snap->zone_count(); ++i) {
    if (!zones.empty()) zones += ",";
    zones += fmt::format("{}@{}", snap->zone(i).apex_text(), snap->zone(i).serial());
  }
  log::info("msg=\"serving\" listen={} transports=udp,tcp threads={} zones={} records={} db={} http={}",
            where, opts.threads, zones.empty() ? "none" : zones, snap->record_count(), global.db_path,
            metrics ? metrics->bound_address() : std::string("none"));

  SignalWatch sig;
  sig.sigint.data = &control;
  sig.sigterm.data = &control;
  auto on_signal = [](uv_signal_t* h, int signum) {
    log::info("msg=\"stopping\" signal={}", signum);
    static_cast<ControlLoop*>(h->data)->stop();
    uv_stop(h->loop);
  };
  uv_signal_init(control.loop(), &sig.sigint);
  uv_signal_init(control.loop(), &sig.sigterm);
  uv_signal_start(&sig.sigint, on_signal, SIGINT);
  uv_signal_start(&sig.sigterm, on_signal, SIGTERM);
  signal(SIGPIPE, SIG_IGN);
  control.start();
  if (hooks.before_run) {
    if (auto st = hooks.before_run(control); !st) {
      log::error("msg=\"cannot start\" error=\"{}\"", st.error().message);
      for (auto& w : workers) w->stop();
      return kExitRuntime;
    }
  }
  uv_run(control.loop(), UV_RUN_DEFAULT);
  if (hooks.after_run) hooks.after_run(control);
  if (metrics) metrics->stop();

  for (auto& w : workers) w->stop();
  uv_close(reinterpret_cast<uv_handle_t*>(&sig.sigint), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&sig.sigterm), nullptr);
  log::info("msg=\"stopped\"");
  return 0;
}

}  // namespace fodns::app
