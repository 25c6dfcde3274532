#include "app/serve.h"

#include <netinet/in.h>
#include <signal.h>
#include <unistd.h>

#include <charconv>
#include <cxxopts.hpp>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "app/control_loop.h"
#include "status/status_board.h"
#include "app/sd_notify.h"
#include "common/log.h"
#include "common/progress.h"
#include "http/metrics_server.h"
#include "probes/probe_metrics.h"
#include "probes/probe.h"
#include "server/listen_address.h"
#include "server/publisher.h"
#include "server/query_log.h"
#include "server/socket_opts.h"
#include "server/worker.h"

namespace fodns::app {
namespace {

constexpr int kExitUsage = 1;
constexpr int kExitRuntime = 3;

// A bad command line: the message names the option and why (exit 1).
struct UsageError {
  std::string message;
};

// `text` of option `field` as a decimal integer in [lo, hi].
uint64_t number_arg(std::string_view field, const std::string& text, uint64_t lo, uint64_t hi) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || text.empty()) {
    throw UsageError{fmt::format("--{} '{}' is not a number", field, text)};
  }
  if (v < lo || v > hi) {
    throw UsageError{fmt::format("--{} '{}' is out of range (allowed {}..{})", field, text, lo, hi)};
  }
  return v;
}

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

// Closes its handles on every way out of run_server and lets the loop finish
// closing them while they still exist (the loop outlives this stack frame).
struct SignalWatch {
  uv_signal_t sigint{}, sigterm{};
  uv_loop_t* loop = nullptr;
  SignalWatch() = default;
  SignalWatch(const SignalWatch&) = delete;
  SignalWatch& operator=(const SignalWatch&) = delete;
  ~SignalWatch() {
    if (!loop) return;
    for (uv_signal_t* h : {&sigint, &sigterm})
      if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(h))) uv_close(reinterpret_cast<uv_handle_t*>(h), nullptr);
    uv_run(loop, UV_RUN_NOWAIT);
  }
};

}  // namespace

int run_serve(const GlobalOptions& global, int argc, char** argv) {
  cxxopts::Options options("fodns serve",
                           "Serve the zones of the database over DNS (UDP and TCP), probe the\n"
                           "backends and publish their health in the answers. Runs until SIGINT or\n"
                           "SIGTERM. Tells systemd when it is ready (sd_notify, Type=notify).\n"
                           "Exit codes: 0 stopped by a signal, 1 usage error, 3 cannot start\n"
                           "(database, address in use, ...).");
  options.custom_help("[OPTIONS]");
  options.add_options()
      ("listen", "address to serve DNS on, ADDR:PORT or [ADDR6]:PORT; repeat for several "
                 "(default: 127.0.0.1:5353 and [::1]:5353)",
       cxxopts::value<std::vector<std::string>>(), "ADDR:PORT")
      ("threads", "DNS worker threads, each with its own sockets, 1..256; by default one per CPU",
       cxxopts::value<std::string>()->default_value(std::to_string(default_threads())), "N")
      ("tcp-idle-timeout", "close TCP connections idle this many milliseconds, at least 100",
       cxxopts::value<std::string>()->default_value("10000"), "MS")
      ("max-tcp-connections", "open TCP connections per worker thread, 1..1000000",
       cxxopts::value<std::string>()->default_value("1024"), "N")
      ("http", "HTTP address for /metrics, /healthz and /status, ADDR:PORT or [ADDR6]:PORT, "
               "or none", cxxopts::value<std::string>()->default_value(std::string(http::kDefaultHttpAddress)),
       "ADDR:PORT")
      ("no-probes", "do not probe backends; serve the health stored in the database "
                    "(default: probe)")
      ("log-level", "least severe level logged: debug, info, warn or error",
       cxxopts::value<std::string>()->default_value("info"), "LEVEL")
      ("log-queries", "log sampled queries, one line each (client, qname, qtype, rcode, "
                      "transport): 0 or off (none), N (one in N per worker thread; 1 = all), "
                      "1/N, or a fraction such as 0.01",
       cxxopts::value<std::string>()->default_value("0"), "RATE")
      ("h,help", "print this help and exit");
  ServeOptions opts;
  try {
    cxxopts::ParseResult r;
    try {
      r = options.parse(argc, argv);
    } catch (const cxxopts::exceptions::exception& e) {
      std::string what = e.what();  // cxxopts quotes with U+2018/U+2019: plain quotes instead
      for (const char* q : {"\u2018", "\u2019"}) {
        for (size_t pos; (pos = what.find(q)) != std::string::npos;) what.replace(pos, 3, "'");
      }
      throw UsageError{what};
    }
    if (r.count("help")) {
      fmt::print("{}\n", options.help());
      return 0;
    }
    if (!r.unmatched().empty()) {
      throw UsageError{fmt::format("unexpected argument '{}'", r.unmatched().front())};
    }
    std::vector<std::string> listen = {"127.0.0.1:5353", "[::1]:5353"};
    if (r.count("listen")) listen = r["listen"].as<std::vector<std::string>>();
    for (const auto& l : listen) {
      auto a = server::parse_listen_address(l);
      if (!a) throw UsageError{fmt::format("--listen '{}': {}", l, a.error().message)};
      opts.listen.push_back(*a);
    }
    opts.threads = static_cast<int>(number_arg("threads", r["threads"].as<std::string>(), 1, 256));
    opts.tcp_idle_ms = number_arg("tcp-idle-timeout", r["tcp-idle-timeout"].as<std::string>(), 100,
                                  86'400'000);
    opts.max_tcp = number_arg("max-tcp-connections", r["max-tcp-connections"].as<std::string>(), 1,
                              1'000'000);
    opts.probes = r.count("no-probes") == 0;
    auto http_addr = http::parse_http_address(r["http"].as<std::string>());
    if (!http_addr) throw UsageError{http_addr.error().message};
    opts.http = *http_addr;
    log::Level level;
    if (!log::parse_level(r["log-level"].as<std::string>(), &level)) {
      throw UsageError{fmt::format("--log-level '{}' is not one of debug, info, warn, error",
                                   r["log-level"].as<std::string>())};
    }
    log::set_level(level);
    auto every = server::parse_query_log_rate(r["log-queries"].as<std::string>());
    if (!every) {
      throw UsageError{fmt::format(
          "--log-queries '{}' is not a rate (use 0, off, N, 1/N or a fraction such as 0.01)",
          r["log-queries"].as<std::string>())};
    }
    opts.log_queries_every = *every;
  } catch (const UsageError& e) {
    fmt::print(stderr, "serve: {}\n", e.message);
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
  probes::ProbeRunner::Factory factory = probes::make_probe;
  if (!opts.probes) factory = [](uv_loop_t*, const probes::Target&) -> std::unique_ptr<probes::Probe> { return nullptr; };
  status::StatusBoard board;
  ControlLoop control(cc, publisher, factory, &board);
  if (hooks.prepare) {
    if (auto st = hooks.prepare(control); !st) {
      log::error("msg=\"cannot start\" error=\"{}\"", st.error().message);
      return kExitRuntime;
    }
  }
  notify_systemd("STATUS=loading " + global.db_path);
  {
    // How far loading a big database is (a terminal line, or a log line every 5 s).
    progress::Task task("fodns serve: " + global.db_path);
    if (auto st = control.load_initial(); !st) {
      log::error("msg=\"cannot start\" error=\"{}\"", st.error().message);
      return kExitRuntime;
    }
  }

  std::vector<server::WorkerConfig> configs(static_cast<size_t>(opts.threads));
  for (auto& c : configs) {
    c.tcp_idle_ms = opts.tcp_idle_ms;
    c.max_tcp_connections = opts.max_tcp;
    c.log_queries_every = opts.log_queries_every;
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
    notify_systemd("STOPPING=1\nSTATUS=stopping");
    static_cast<ControlLoop*>(h->data)->stop();
    uv_stop(h->loop);
  };
  uv_signal_init(control.loop(), &sig.sigint);
  uv_signal_init(control.loop(), &sig.sigterm);
  sig.loop = control.loop();
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
  // Every listener is bound and its worker running, the snapshot is published: a query
  // sent now is answered. Only now tell systemd (Type=notify) that we are up.
  notify_systemd(fmt::format("READY=1\nSTATUS=serving {} zone{}, {} records on {}",
                             snap->zone_count(), snap->zone_count() == 1 ? "" : "s",
                             snap->record_count(), where));
  uv_run(control.loop(), UV_RUN_DEFAULT);
  if (hooks.after_run) hooks.after_run(control);
  if (metrics) metrics->stop();

  for (auto& w : workers) w->stop();
  log::info("msg=\"stopped\"");
  return 0;
}

}  // namespace fodns::app
