#include "app/serve.h"

#include <netinet/in.h>
#include <signal.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "app/control_loop.h"
#include "app/cookie_keeper.h"
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

constexpr int kExitRuntime = 3;

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

  // DNS cookie secrets, from the database like the zones; kept fresh on the control loop.
  server::CookieBoard cookie_board;
  CookieKeeper cookie_keeper(global.db_path, cookie_board, control.loop());
  if (auto st = cookie_keeper.load(); !st) {
    log::error("msg=\"cannot start\" error=\"{}\"", st.error().message);
    return kExitRuntime;
  }

  std::vector<server::WorkerConfig> configs(static_cast<size_t>(opts.threads));
  // Shared by the workers; declared before them, so it outlives them.
  auto tcp_address_limit = std::make_unique<server::TcpAddressLimit>(opts.max_tcp_per_address);
  for (auto& c : configs) {
    c.tcp_idle_ms = opts.tcp_idle_ms;
    c.tcp_io_ms = opts.tcp_io_ms;
    c.tcp_address_limit = tcp_address_limit.get();
    c.max_tcp_connections = opts.max_tcp;
    c.log_queries_every = opts.log_queries_every;
    c.rrl = opts.rrl;
    c.cookies = &cookie_board;
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
  control.start();  // SIGPIPE is ignored by Worker::start(), before any TCP accept
  cookie_keeper.start();
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
