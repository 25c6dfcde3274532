// `fodns serve`: reads and checks its options into app::ServeOptions, then
// hands over to app::run_server, which runs until SIGINT/SIGTERM.
#include <thread>

#include <cxxopts.hpp>
#include <fmt/format.h>

#include "app/serve.h"
#include "cli/cli_args.h"
#include "cli/cli_common.h"
#include "cli/serve_rrl_options.h"
#include "common/log.h"
#include "http/metrics_server.h"
#include "server/listen_address.h"
#include "server/query_log.h"

namespace fodns::cli {
namespace {

constexpr std::string_view kCmd = "serve";

int default_threads() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

}  // namespace

int run_serve(const Context& ctx, int argc, char** argv) {
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
      ("tcp-io-timeout", "close a TCP connection when a message begun is not complete, or a "
                         "reply not taken, within this many milliseconds; 100..60000",
       cxxopts::value<std::string>()->default_value("2000"), "MS")
      ("max-tcp-connections", "open TCP connections per worker thread, 1..1000000; when they "
                              "run short the idle timeout shrinks and the longest idle close first",
       cxxopts::value<std::string>()->default_value("1024"), "N")
      ("max-tcp-per-address", "open TCP connections one client address (IPv6: its /64) may "
                              "hold, over all threads; 0 = no limit",
       cxxopts::value<std::string>()->default_value("32"), "N")
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
  add_rrl_options(options);
  auto r = parse_options(options, kCmd, argc, argv);
  if (print_help(r, options, ctx)) return kExitOk;

  app::ServeOptions opts;
  std::vector<std::string> listen = {"127.0.0.1:5353", "[::1]:5353"};
  if (r.count("listen")) listen = r["listen"].as<std::vector<std::string>>();
  for (const auto& l : listen) {
    auto a = server::parse_listen_address(l);
    if (!a) throw UsageError(fmt::format("{}: --listen '{}': {}", kCmd, l, a.error().message));
    opts.listen.push_back(*a);
  }
  opts.threads = static_cast<int>(int_arg(kCmd, "--threads", r["threads"].as<std::string>(), 1, 256));
  opts.tcp_idle_ms = static_cast<uint64_t>(
      int_arg(kCmd, "--tcp-idle-timeout", r["tcp-idle-timeout"].as<std::string>(), 100, 86'400'000));
  opts.max_tcp = static_cast<size_t>(
      int_arg(kCmd, "--max-tcp-connections", r["max-tcp-connections"].as<std::string>(), 1, 1'000'000));
  opts.tcp_io_ms = static_cast<uint64_t>(
      int_arg(kCmd, "--tcp-io-timeout", r["tcp-io-timeout"].as<std::string>(), 100, 60'000));
  opts.max_tcp_per_address = static_cast<uint32_t>(
      int_arg(kCmd, "--max-tcp-per-address", r["max-tcp-per-address"].as<std::string>(), 0, 1'000'000));
  opts.probes = r.count("no-probes") == 0;
  auto http_addr = http::parse_http_address(r["http"].as<std::string>());
  if (!http_addr) throw UsageError(fmt::format("{}: {}", kCmd, http_addr.error().message));
  opts.http = *http_addr;
  log::Level level;
  if (!log::parse_level(r["log-level"].as<std::string>(), &level)) {
    throw UsageError(fmt::format("{}: --log-level '{}' is not one of debug, info, warn, error", kCmd,
                                 r["log-level"].as<std::string>()));
  }
  log::set_level(level);
  auto every = server::parse_query_log_rate(r["log-queries"].as<std::string>());
  if (!every) {
    throw UsageError(fmt::format(
        "{}: --log-queries '{}' is not a rate (use 0, off, N, 1/N or a fraction such as 0.01)", kCmd,
        r["log-queries"].as<std::string>()));
  }
  opts.log_queries_every = *every;
  auto rrl = rrl_config(r);
  if (!rrl) throw UsageError(fmt::format("{}: {}", kCmd, rrl.error().message));
  opts.rrl = std::move(*rrl);

  ctx.out.flush();
  return app::run_server(app::GlobalOptions{ctx.db_path}, opts, {});
}

}  // namespace fodns::cli
