// `fodns demo`: the embedded default. A throw-away database with the example
// SIP provider zone, two SIP OPTIONS responders of its own on loopback as the
// primary and backup proxies, DNS on 127.0.0.1:5353, and every cycle the
// primary goes down for a while, so that failover happens in front of you.
#include "app/demo.h"

#include <arpa/inet.h>
#include <ldns/ldns.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cxxopts.hpp>
#include <filesystem>
#include <memory>

#include "app/serve.h"
#include "app/demo_sip_responder.h"
#include "common/log.h"
#include "demo_zone.h"
#include "http/metrics_server.h"
#include "dns/query.h"
#include "store/db.h"
#include "store/zone_repo.h"
#include "zone/responder.h"
#include "zonefile/zone_file.h"

namespace fodns::app {
namespace {

constexpr int kExitUsage = 1;
constexpr int kExitRuntime = 3;

// The SIP names of the demo zone and the loopback addresses its A records use.
constexpr const char* kPrimaryAddr = "127.0.1.1";
constexpr const char* kBackupAddr = "127.0.1.2";

Status create_demo_db(const std::string& path, int sip_port) {
  auto parsed = zonefile::parse_zone_text(embedded::kDemoZone, "example.net.zone");
  if (!parsed) return parsed.error();
  store::Db db(path);
  store::Transaction tx(db);
  store::store_zone(db, parsed->content, store::unix_now());
  int64_t zone_id = store::find_zone(db, "example.net.")->id;
  // Backends: quick probes so the demo shows failover within seconds.
  for (auto [name, addr] : {std::pair{"sip1", kPrimaryAddr}, std::pair{"sip2", kBackupAddr}}) {
    auto st = db.prepare(
        "INSERT INTO backends (name, address, port, probe, transport, interval_ms, timeout_ms, rise, "
        "fall, created_at, updated_at) VALUES (?1, ?2, ?3, 'sip-options', 'udp', 500, 400, 2, 2, 0, 0)");
    st.bind(1, std::string_view(name)).bind(2, std::string_view(addr)).bind(3, int64_t{sip_port}).run();
  }
  // sip.example.net A: the primary first (priority 0), the backup (10) only when it is down.
  // sip1/sip2 A are governed too, so the SRV records follow their targets.
  const char* govern =
      "UPDATE records SET backend_id = (SELECT id FROM backends WHERE name = ?1), priority = ?2 "
      "WHERE zone_id = ?3 AND type = 1 AND owner IN ('sip.example.net.', ?4) AND rdata = ?5";
  for (auto [name, addr, prio] : {std::tuple{"sip1", kPrimaryAddr, 0}, std::tuple{"sip2", kBackupAddr, 10}}) {
    uint8_t a[4];
    inet_pton(AF_INET, addr, a);
    std::string owner = std::string(name) + ".example.net.";
    auto st = db.prepare(govern);
    st.bind(1, std::string_view(name)).bind(2, int64_t{prio}).bind(3, zone_id).bind(4, std::string_view(owner));
    st.bind(5, std::span<const uint8_t>(a, 4)).run();
  }
  tx.commit();
  return ok_status();
}

// The addresses a client gets for `name` A right now, from the published snapshot.
std::string current_answer(const zone::ZoneSnapshot& snap, const char* name) {
  ldns_rdf* n = ldns_dname_new_frm_str(name);
  ldns_pkt* p = ldns_pkt_query_new(n, LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN, 0);
  uint8_t* wire = nullptr;
  size_t len = 0;
  ldns_pkt2wire(&wire, p, &len);
  ldns_pkt_free(p);
  dns::Query q;
  auto parsed = dns::parse_query(wire, len, q);
  std::vector<uint8_t> out(65535);
  zone::ResponseInfo info;
  size_t rlen = zone::respond(q, parsed, &snap, true, out.data(), &info);
  free(wire);
  ldns_pkt* r = nullptr;
  std::string text;
  if (rlen && ldns_wire2pkt(&r, out.data(), rlen) == LDNS_STATUS_OK) {
    ldns_rr_list* ans = ldns_pkt_answer(r);
    for (size_t i = 0; i < ldns_rr_list_rr_count(ans); ++i) {
      char* s = ldns_rdf2str(ldns_rr_rdf(ldns_rr_list_rr(ans, i), 0));
      if (!text.empty()) text += " ";
      text += s;
      free(s);
    }
    ldns_pkt_free(r);
  }
  return text.empty() ? "(no address)" : text;
}

std::string clock_now() {
  auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  localtime_r(&t, &tm);
  return fmt::format("{:02}:{:02}:{:02}", tm.tm_hour, tm.tm_min, tm.tm_sec);
}

struct DemoState {
  std::unique_ptr<DemoSipResponder> primary, backup;
  uv_timer_t* cycle = nullptr;
  uint64_t cycle_ms = 30000, down_ms = 15000;
  bool primary_up = true;
};

}  // namespace

int run_demo(const GlobalOptions&, int argc, char** argv) {
  cxxopts::Options options("fodns demo",
                           "Run a live failover demo on loopback: the example SIP zone, two SIP "
                           "OPTIONS responders as backends, and a primary that fails on a schedule.");
  options.add_options()
      ("dns", "DNS address to serve on", cxxopts::value<std::string>()->default_value("127.0.0.1:5353"))
      ("http", "Metrics/status HTTP address, or none", cxxopts::value<std::string>()->default_value("127.0.0.1:9153"))
      ("sip-port", "UDP port of the two SIP responders (127.0.1.1 and 127.0.1.2)",
       cxxopts::value<int>()->default_value("5060"))
      ("cycle", "Seconds between two failures of the primary", cxxopts::value<int>()->default_value("30"))
      ("down", "Seconds the primary stays down each cycle", cxxopts::value<int>()->default_value("15"))
      ("keep", "Keep the demo database when stopping (prints where it is; default: off, removed)")
      ("h,help", "Show this help");
  std::string dns_addr, http_text;
  int sip_port = 5060, cycle = 30, down = 15;
  bool keep = false;
  try {
    auto r = options.parse(argc, argv);
    if (r.count("help")) {
      fmt::print("{}", options.help());
      return 0;
    }
    dns_addr = r["dns"].as<std::string>();
    http_text = r["http"].as<std::string>();
    sip_port = r["sip-port"].as<int>();
    cycle = r["cycle"].as<int>();
    down = r["down"].as<int>();
    keep = r.count("keep") > 0;
  } catch (const cxxopts::exceptions::exception& e) {
    fmt::print(stderr, "demo: {}\n", e.what());
    return kExitUsage;
  }
  if (sip_port < 1 || sip_port > 65535) {
    fmt::print(stderr, "demo: --sip-port: {} is not between 1 and 65535\n", sip_port);
    return kExitUsage;
  }
  if (cycle < 2 || down < 1 || down >= cycle) {
    fmt::print(stderr, "demo: --down ({} s) must be at least 1 and shorter than --cycle ({} s)\n", down, cycle);
    return kExitUsage;
  }
  auto http_addr = http::parse_http_address(http_text);
  if (!http_addr) {
    fmt::print(stderr, "demo: {}\n", http_addr.error().message);
    return kExitUsage;
  }
  auto listen = server::parse_listen_address(dns_addr);
  if (!listen) {
    fmt::print(stderr, "demo: --dns: {}\n", listen.error().message);
    return kExitUsage;
  }

  char tmpl[] = "/tmp/fodns-demo-XXXXXX";
  if (!mkdtemp(tmpl)) {
    fmt::print(stderr, "demo: cannot create a temporary directory: {}\n", strerror(errno));
    return kExitRuntime;
  }
  std::filesystem::path dir = tmpl;
  GlobalOptions demo_global{(dir / "demo.db").string()};
  try {
    if (auto st = create_demo_db(demo_global.db_path, sip_port); !st) {
      fmt::print(stderr, "demo: {}\n", st.error().message);
      std::filesystem::remove_all(dir);
      return kExitRuntime;
    }
  } catch (const std::exception& e) {
    fmt::print(stderr, "demo: {}\n", e.what());
    std::filesystem::remove_all(dir);
    return kExitRuntime;
  }

  auto state = std::make_shared<DemoState>();
  state->cycle_ms = static_cast<uint64_t>(cycle) * 1000;
  state->down_ms = static_cast<uint64_t>(down) * 1000;
  std::string port = std::to_string(listen->port());
  std::string host = dns_addr.substr(0, dns_addr.rfind(':'));
  if (!host.empty() && host.front() == '[') host = host.substr(1, host.size() - 2);

  ServeOptions opts;
  opts.listen = {*listen};
  opts.threads = 1;
  opts.http = *http_addr;
  std::string http_shown = *http_addr ? (*http_addr)->text : std::string();
  ServerHooks hooks;
  hooks.prepare = [state, sip_port](ControlLoop& control) -> Status {
    // The responders answer before the first probe round, so both backends start up.
    auto a1 = server::parse_listen_address(fmt::format("{}:{}", kPrimaryAddr, sip_port));
    auto a2 = server::parse_listen_address(fmt::format("{}:{}", kBackupAddr, sip_port));
    state->primary = std::make_unique<DemoSipResponder>(control.loop(), *a1);
    state->backup = std::make_unique<DemoSipResponder>(control.loop(), *a2);
    if (auto st = state->primary->start(); !st) return st;
    return state->backup->start();
  };
  hooks.before_run = [state, sip_port, port, host, dir, http_shown](ControlLoop& control) -> Status {
    fmt::print(
        "\nfodns demo: failover DNS for SIP, live on this machine.\n\n"
        "  zone example.net. from zones/example.net.zone, database {}\n"
        "  backends: sip1 = SIP OPTIONS responder on {}:{} (primary), sip2 on {}:{} (backup)\n"
        "  {} s from now, and every {} s after that, the primary stops answering for {} s;\n"
        "  watch the answers move.\n\n"
        "Try, in another terminal:\n"
        "  dig @{} -p {} sip.example.net\n"
        "  dig @{} -p {} _sip._udp.example.net SRV\n"
        "  dig @{} -p {} example.net NAPTR\n"
        "  dig @{} -p {} example.net SOA +short      (the serial moves on every failover)\n"
        "{}"
        "\nCtrl-C stops the demo and removes what it created.\n\n",
        (dir / "demo.db").string(), kPrimaryAddr, sip_port, kBackupAddr, sip_port,
        (state->cycle_ms - state->down_ms) / 1000, state->cycle_ms / 1000, state->down_ms / 1000, host, port, host, port, host, port, host, port,
        http_shown.empty() ? std::string()
                           : fmt::format("  curl -s http://{}/metrics | grep fodns_backend_up\n"
                                         "  curl -s http://{}/status\n", http_shown, http_shown));
    std::fflush(stdout);
    state->cycle = new uv_timer_t;
    uv_timer_init(control.loop(), state->cycle);
    state->cycle->data = state.get();
    auto toggle = [](uv_timer_t* t) {
      auto* s = static_cast<DemoState*>(t->data);
      if (s->primary_up) {
        s->primary->stop();
        fmt::print("{}  demo: primary SIP responder {} stopped (port now unreachable)\n", clock_now(), kPrimaryAddr);
        uv_timer_start(t, t->timer_cb, s->down_ms, 0);
      } else {
        (void)s->primary->start();
        fmt::print("{}  demo: primary SIP responder {} started again\n", clock_now(), kPrimaryAddr);
        uv_timer_start(t, t->timer_cb, s->cycle_ms - s->down_ms, 0);
      }
      s->primary_up = !s->primary_up;
      std::fflush(stdout);
    };
    uv_timer_start(state->cycle, toggle, state->cycle_ms - state->down_ms, 0);
    return ok_status();
  };
  // Each answer once: the first probe round and the start both publish the same one.
  auto last_answer = std::make_shared<std::string>();
  hooks.on_published = [last_answer](const PublishEvent& e) {
    for (const auto& t : e.transitions)
      fmt::print("{}  {}: {} -> {} ({})\n", clock_now(), t.backend, health::state_name(t.from),
                 health::state_name(t.to), t.reason);
    if (!e.snapshot || e.snapshot->zone_count() == 0) return;
    std::string line = fmt::format("sip.example.net A -> {}   (serial {})",
                                   current_answer(*e.snapshot, "sip.example.net."),
                                   e.snapshot->zone(0).serial());
    if (line == *last_answer) return;
    *last_answer = line;
    fmt::print("{}  {}\n", clock_now(), line);
    std::fflush(stdout);
  };
  hooks.after_run = [state](ControlLoop&) {
    state->primary.reset();
    state->backup.reset();
    if (state->cycle)
      uv_close(reinterpret_cast<uv_handle_t*>(state->cycle), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    state->cycle = nullptr;
  };
  int rc = run_server(demo_global, std::move(opts), hooks);
  if (keep) {
    fmt::print("demo: database kept at {}\n", demo_global.db_path);
  } else {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
    fmt::print("demo: stopped; removed {}\n", dir.string());
  }
  return rc;
}

}  // namespace fodns::app
