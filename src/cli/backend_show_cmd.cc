// `fodns backend show NAME [--json]`: one backend's whole story in one place: its
// settings; its state and since when; its last result; the records and RRsets it
// governs, by name; its recent events. Read-only, one read transaction.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <tuple>

#include "cli/backend_cmd.h"
#include "cli/backend_options.h"
#include "cli/cli_args.h"
#include "dns/name.h"
#include "dns/rr.h"
#include "dns/wire.h"
#include "store/zone_repo.h"

namespace fodns::cli {

namespace {

constexpr int kShowEvents = 10;

struct GovernedLine {
  std::string zone;
  std::string name;
  std::string type;
  std::string rdata;
  int32_t priority = 0;
  std::string all_down = "open";  // the RRset's policy when every member is down
};

std::string json_str(std::string_view s) { return fmt::format("\"{}\"", json_escape(s)); }
std::string json_str_or_null(std::string_view s) { return s.empty() ? "null" : json_str(s); }
std::string json_ms_or_null(int64_t ms) { return ms ? std::to_string(ms) : "null"; }

// The rdata as a zone file shows it ("10 20 5060 sip1.example.net.").
std::string rdata_text(const store::GovernedRecord& g) {
  dns::Rr rr;
  auto owner = dns::name_from_text(g.owner);
  if (owner) rr.owner = *owner;
  rr.type = g.type;
  rr.rdata = g.rdata;
  return rdata_of_line(dns::rr_to_text(rr));
}

}  // namespace

int backend_show(const Context& ctx, int argc, char** argv) {
  cxxopts::Options opts("fodns backend show",
                        "Everything about one backend: settings, state and since when, last\n"
                        "result, the records and RRsets it governs, and its recent events.");
  opts.custom_help("[OPTIONS]");
  opts.positional_help("NAME");
  opts.add_options()
      ("json", "print one JSON object (default: off, text)")
      ("h,help", "print this help");
  opts.add_options(kPositionalGroup)("name", "backend name", cxxopts::value<std::string>());
  opts.parse_positional({"name"});
  auto r = parse_options(opts, "backend show", argc, argv);
  if (print_help(r, opts, ctx)) return kExitOk;
  if (!r.count("name")) throw UsageError("backend show: NAME is missing");
  std::string name = r["name"].as<std::string>();
  check_backend_name("backend show", name);

  store::Db db(ctx.db_path);
  db.exec("BEGIN");  // one consistent read (WAL), without blocking `fodns serve`
  store::Backend b = backend_named("backend show", db, name);
  store::BackendState s = store::load_backend_state(db, b.id).value_or(store::BackendState{});
  int64_t since_ms = s.state == "unknown" && s.last_check_ms == 0 ? 0 : s.since_ms;
  std::string state = s.state;
  if (b.drained) {
    state = "drained";
    since_ms = store::last_drain_ms(db, b.id).value_or(since_ms);
  }
  std::vector<GovernedLine> governed;
  for (const auto& use : store::backend_usage(db, b.id)) {
    for (const auto& g : store::governed_records(db, use.zone_id)) {
      if (g.backend_id != b.id) continue;
      GovernedLine line{use.zone, g.owner, dns::type_to_text(g.type), rdata_text(g), g.priority};
      if (auto p = store::find_rrset_policy(db, use.zone_id, g.owner, g.type)) line.all_down = p->all_down;
      governed.push_back(std::move(line));
    }
  }
  // SRV records are governed through their targets (DESIGN.md): list those whose
  // target is a name this backend governs, so that the whole effect is in one place.
  std::vector<GovernedLine> via_srv;
  std::map<int64_t, store::ZoneInfo> zones;
  for (const auto& z : store::list_zones(db)) zones[z.id] = z;
  for (const auto& use : store::backend_usage(db, b.id)) {
    std::vector<dns::Bytes> targets;
    for (const auto& g : governed)
      if (g.zone == use.zone)
        if (auto n = dns::name_from_text(g.name)) targets.push_back(*n);
    auto content = store::load_zone(db, zones[use.zone_id]);
    for (const auto& rr : content.rrs) {
      if (rr.type != dns::type::kSrv || rr.rdata.size() <= 6) continue;
      dns::Bytes target(rr.rdata.begin() + 6, rr.rdata.end());
      if (std::find(targets.begin(), targets.end(), target) == targets.end()) continue;
      store::GovernedRecord g{0, dns::name_to_text(rr.owner), rr.type, rr.rdata, 0, "", 0};
      via_srv.push_back({use.zone, g.owner, "SRV", rdata_text(g), 0});
    }
  }
  auto events = store::recent_events(db, kShowEvents, b.name, 0);
  db.exec("COMMIT");
  std::string error(current_error(s));  // as `status`

  if (r.count("json")) {
    ctx.out << fmt::format(
        "{{\"name\":{},\"address\":{},\"port\":{},\"probe\":{},\"transport\":{},\"interval_ms\":{},"
        "\"timeout_ms\":{},\"rise\":{},\"fall\":{},\"alive_codes\":{},\"sip_uri\":{},"
        "\"drained\":{},\"drain_reason\":{},\"state\":{},\"since_ms\":{},\"last_check_ms\":{},"
        "\"last_rtt_ms\":{},\"last_result\":{},\"last_error\":{},\"successes\":{},\"failures\":{},"
        "\"governs\":[",
        json_str(b.name), json_str(b.address), b.port, json_str(b.probe), json_str(b.transport),
        b.interval_ms, b.timeout_ms, b.rise, b.fall, json_str(b.alive_codes),
        json_str_or_null(b.sip_uri), b.drained ? "true" : "false", json_str_or_null(b.drain_reason),
        json_str(state), json_ms_or_null(since_ms), json_ms_or_null(s.last_check_ms),
        s.last_rtt_us < 0 ? "null" : fmt::format("{:.3f}", static_cast<double>(s.last_rtt_us) / 1000),
        json_str_or_null(s.last_result), json_str_or_null(error), s.successes, s.failures);
    for (size_t i = 0; i < governed.size(); ++i) {
      const auto& g = governed[i];
      ctx.out << fmt::format("{}{{\"zone\":{},\"name\":{},\"type\":{},\"rdata\":{},\"priority\":{},"
                             "\"all_down\":{}}}",
                             i ? "," : "", json_str(g.zone), json_str(g.name), json_str(g.type),
                             json_str(g.rdata), g.priority, json_str(g.all_down));
    }
    ctx.out << "],\"srv_via_target\":[";
    for (size_t i = 0; i < via_srv.size(); ++i) {
      const auto& g = via_srv[i];
      ctx.out << fmt::format("{}{{\"zone\":{},\"name\":{},\"rdata\":{}}}", i ? "," : "",
                             json_str(g.zone), json_str(g.name), json_str(g.rdata));
    }
    ctx.out << "],\"events\":[";
    for (size_t i = 0; i < events.size(); ++i) {
      const auto& e = events[i];
      ctx.out << fmt::format("{}{{\"id\":{},\"at_ms\":{},\"time\":\"{}\",\"from\":{},\"to\":{},"
                             "\"reason\":{}}}",
                             i ? "," : "", e.id, e.at_ms, format_utc(e.at_ms, true),
                             json_str(e.from_state), json_str(e.to_state), json_str(e.reason));
    }
    ctx.out << "]}\n";
    return kExitOk;
  }

  int64_t now = store::unix_now_ms();
  std::string probe = b.probe == "sip-options" ? "sip-options/" + b.transport : b.probe;
  ctx.out << fmt::format("backend {}\n", b.name);
  ctx.out << fmt::format("  address   {}\n", address_port(b));
  ctx.out << fmt::format("  probe     {} every {}, timeout {}, down after {} failures, up after {} "
                         "successes\n",
                         probe, format_duration_ms(b.interval_ms), format_duration_ms(b.timeout_ms),
                         b.fall, b.rise);
  if (b.probe == "sip-options") {
    ctx.out << fmt::format("  alive     SIP {}{}\n", b.alive_codes,
                           b.sip_uri.empty() ? "" : ", request URI " + b.sip_uri);
  }
  ctx.out << fmt::format("  state     {}{}\n", state,
                         since_ms ? fmt::format(" since {} (for {})", format_utc(since_ms, false),
                                                format_age(now - since_ms))
                                  : std::string(" (never probed)"));
  if (b.drained)
    ctx.out << fmt::format("  drained   {}\n", b.drain_reason.empty() ? "(no reason given)" : b.drain_reason);
  if (s.last_check_ms) {
    std::string result = result_text(s);
    ctx.out << fmt::format("  last      {} ({} ago){}, {} successes / {} failures in a row\n", result,
                           format_age(now - s.last_check_ms),
                           s.last_rtt_us < 0 ? std::string()
                                             : fmt::format(", rtt {:.1f}ms",
                                                           static_cast<double>(s.last_rtt_us) / 1000),
                           s.successes, s.failures);
  }
  ctx.out << fmt::format("\ngoverns {} record{}\n", governed.size(), governed.size() == 1 ? "" : "s");
  for (const auto& g : governed) {
    ctx.out << fmt::format("  {} {} {}  (zone {}, priority {}, all down: {})\n", g.name, g.type,
                           g.rdata, g.zone, g.priority, g.all_down);
  }
  if (!via_srv.empty()) {
    ctx.out << fmt::format("and, through their targets, {} SRV record{}\n", via_srv.size(),
                           via_srv.size() == 1 ? "" : "s");
    for (const auto& g : via_srv) ctx.out << fmt::format("  {} SRV {}  (zone {})\n", g.name, g.rdata, g.zone);
  }
  ctx.out << fmt::format("\nrecent events ({})\n", events.empty() ? "none" : std::to_string(events.size()));
  for (const auto& e : events) {
    ctx.out << fmt::format("  {}  {} -> {}  {}\n", format_utc(e.at_ms, true), e.from_state, e.to_state,
                           e.reason);
  }
  return kExitOk;
}

}  // namespace fodns::cli
