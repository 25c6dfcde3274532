// `fodns status [--json]`: each backend's health as `fodns serve` last stored it
// (backend_state), a drain winning over the probes, and each zone's served serial.
// Read-only; one read transaction so that backends, states and zones agree.
// The JSON shape is the one of the HTTP /status endpoint.
#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include "cli/backend_options.h"
#include "cli/cli_args.h"
#include "cli/cli_common.h"
#include "store/backend_repo.h"
#include "store/zone_repo.h"

namespace fodns::cli {

namespace {

struct Row {
  store::Backend b;
  std::string state;  // up | down | unknown | drained
  int64_t since_ms = 0;   // 0: never probed nor drained
  store::BackendState s;  // defaults when never probed
};

std::string json_str_or_null(std::string_view s) {
  return s.empty() ? "null" : fmt::format("\"{}\"", json_escape(s));
}

std::string json_int_or_null(int64_t v) { return v ? std::to_string(v) : "null"; }

// Whether a `fodns serve` wrote probe results recently enough for these states to
// be current: the newest result is younger than three intervals plus a timeout
// (and 5 s for the batched save) of the slowest backend. nullopt: no backends.
struct Probing {
  bool active = false;
  int64_t newest_check_ms = 0;  // 0: never probed
};
std::optional<Probing> probing(const std::vector<Row>& rows, int64_t now_ms) {
  std::optional<Probing> p;
  int64_t window = 0;
  for (const auto& r : rows) {
    if (r.b.drained) continue;  // a drained backend is still probed, but says nothing alone
    if (!p) p = Probing{};
    p->newest_check_ms = std::max(p->newest_check_ms, r.s.last_check_ms);
    window = std::max(window, 3 * r.b.interval_ms + r.b.timeout_ms + 5000);
  }
  if (p) p->active = p->newest_check_ms > 0 && now_ms - p->newest_check_ms <= window;
  return p;
}

void print_json(const Context& ctx, const std::vector<Row>& rows,
                const std::vector<store::ZoneInfo>& zones, int64_t now_ms) {
  ctx.out << "{\"backends\":[";
  for (size_t i = 0; i < rows.size(); ++i) {
    const auto& r = rows[i];
    ctx.out << fmt::format(
        "{}{{\"name\":\"{}\",\"address\":\"{}\",\"port\":{},\"probe\":\"{}\",\"transport\":\"{}\","
        "\"state\":\"{}\",\"since_ms\":{},\"last_check_ms\":{},\"last_rtt_ms\":{},"
        "\"last_result\":{},\"last_error\":{},\"successes\":{},\"failures\":{},"
        "\"drained\":{},\"drain_reason\":{}}}",
        i ? "," : "", json_escape(r.b.name), r.b.address, r.b.port, r.b.probe, r.b.transport,
        r.state, json_int_or_null(r.since_ms), json_int_or_null(r.s.last_check_ms),
        r.s.last_rtt_us < 0 ? "null" : fmt::format("{:.3f}", static_cast<double>(r.s.last_rtt_us) / 1000),
        json_str_or_null(r.s.last_result), json_str_or_null(current_error(r.s)), r.s.successes,
        r.s.failures, r.b.drained ? "true" : "false", json_str_or_null(r.b.drain_reason));
  }
  ctx.out << "],\"zones\":[";
  for (size_t i = 0; i < zones.size(); ++i) {
    ctx.out << fmt::format("{}{{\"name\":\"{}\",\"serial\":{},\"records\":{}}}", i ? "," : "",
                           json_escape(zones[i].name), zones[i].serial, zones[i].record_count);
  }
  // /status says here whether the server is degraded; the CLI just read the database.
  auto p = probing(rows, now_ms);
  ctx.out << "],\"degraded\":null,\"probing\":" << (!p ? "null" : p->active ? "true" : "false")
          << "}\n";
}

void print_text(const Context& ctx, const std::vector<Row>& rows,
                const std::vector<store::ZoneInfo>& zones, int64_t now_ms) {
  auto p = probing(rows, now_ms);
  if (p && !p->active) {
    ctx.out << (p->newest_check_ms == 0
                    ? "No server has probed these backends yet (is `fodns serve` running on this "
                      "database?).\n"
                    : fmt::format("No server is probing: the newest result is {} old (is `fodns "
                                  "serve` running on this database?). The states below are the "
                                  "last ones stored.\n",
                                  format_age(now_ms - p->newest_check_ms)));
    ctx.out << "\n";
  }
  if (rows.empty()) {
    ctx.out << "no backends (add one with `fodns backend add`)\n";
  } else {
    size_t nw = 7, aw = 7;
    for (const auto& r : rows) {
      nw = std::max(nw, r.b.name.size());
      aw = std::max(aw, address_port(r.b).size());
    }
    constexpr std::string_view kFmt = "{:<{}}  {:<{}}  {:<15}  {:<7}  {:<34}  {:>9}  {:>7}  {}\n";
    ctx.out << fmt::format(kFmt, "BACKEND", nw, "ADDRESS", aw, "PROBE", "STATE", "SINCE", "RTT",
                           "OK/FAIL", "LAST");
    for (const auto& r : rows) {
      std::string probe = r.b.probe == "sip-options" ? "sip-options/" + r.b.transport : r.b.probe;
      std::string since = r.since_ms ? fmt::format("{} (for {})", format_utc(r.since_ms, false),
                                                   format_age(now_ms - r.since_ms))
                                     : "never probed";
      std::string rtt = r.s.last_rtt_us < 0
                            ? "-"
                            : fmt::format("{:.1f}ms", static_cast<double>(r.s.last_rtt_us) / 1000);
      std::string last = result_text(r.s);
      if (r.s.last_check_ms) last += fmt::format(" ({} ago)", format_age(now_ms - r.s.last_check_ms));
      if (r.b.drained) {
        last += r.b.drain_reason.empty() ? "; drained" : "; drained: " + r.b.drain_reason;
      }
      ctx.out << fmt::format(kFmt, r.b.name, nw, address_port(r.b), aw, probe, r.state, since, rtt,
                             fmt::format("{}/{}", r.s.successes, r.s.failures), last);
    }
  }
  ctx.out << "\n";
  size_t zw = 4;
  for (const auto& z : zones) zw = std::max(zw, z.name.size());
  ctx.out << fmt::format("{:<{}}  {:>10}  {:>8}\n", "ZONE", zw, "SERIAL", "RECORDS");
  for (const auto& z : zones) {
    ctx.out << fmt::format("{:<{}}  {:>10}  {:>8}\n", z.name, zw, z.serial, z.record_count);
  }
}

}  // namespace

int run_status(const Context& ctx, int argc, char** argv) {
  cxxopts::Options opts("fodns status",
                        "Show each backend's health as `fodns serve` last stored it: state (up,\n"
                        "down, unknown, drained; a drain wins over the probes), since when, the\n"
                        "last round-trip time and result, consecutive successes/failures; and\n"
                        "each zone's served serial. Works while `fodns serve` runs.");
  opts.custom_help("[OPTIONS]");
  opts.add_options()
      ("json", "print {\"backends\":[...],\"zones\":[...]} as the HTTP /status does "
               "(default: off, a table)")
      ("h,help", "print this help");
  auto r = parse_options(opts, "status", argc, argv);
  if (print_help(r, opts, ctx)) return kExitOk;

  store::Db db(ctx.db_path);
  // A deferred read transaction: one consistent snapshot (WAL), without blocking the
  // daemon's writes. Closing the connection ends it.
  db.exec("BEGIN");
  auto states = store::load_backend_states(db);
  std::vector<Row> rows;
  for (auto& b : store::list_backends(db)) {
    Row row;
    auto it = states.find(b.id);
    if (it != states.end()) {
      row.s = it->second;
      row.since_ms = row.s.state == "unknown" && row.s.last_check_ms == 0 ? 0 : row.s.since_ms;
    }
    row.state = row.s.state;
    if (b.drained) {
      row.state = "drained";
      row.since_ms = store::last_drain_ms(db, b.id).value_or(row.since_ms);
    }
    row.b = std::move(b);
    rows.push_back(std::move(row));
  }
  auto zones = store::list_zones(db);
  db.exec("COMMIT");
  if (r.count("json")) {
    print_json(ctx, rows, zones, store::unix_now_ms());
  } else {
    print_text(ctx, rows, zones, store::unix_now_ms());
  }
  return kExitOk;
}

}  // namespace fodns::cli
