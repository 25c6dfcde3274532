// `fodns backend add|set|rm|list` (drain and resume: backend_drain_cmd.cc). Each edit is
// one transaction; any error leaves the database as it was.
#include "cli/backend_cmd.h"

#include <fmt/format.h>

#include "cli/backend_options.h"
#include "cli/cli_args.h"
#include "store/zone_repo.h"

namespace fodns::cli {

namespace {

constexpr std::string_view kBackendUsage =
    "Usage: fodns [--db PATH] backend SUBCOMMAND ...\n"
    "  add NAME --address ADDR --probe sip-options|icmp|tcp [OPTIONS]   add a backend\n"
    "  set NAME [OPTIONS]               change the given settings only\n"
    "  rm NAME [--force]                remove (refused while records use it, unless --force)\n"
    "  list [--json]                    list backends, their settings and state\n"
    "  show NAME [--json]               settings, state, last result, governed records, events\n"
    "  drain NAME [--reason TEXT]       treat as down whatever the probes say (survives restarts)\n"
    "  resume NAME                      end a drain\n"
    "Run `fodns backend SUBCOMMAND --help` for its options.\n";

cxxopts::Options name_options(const char* program, const char* description) {
  cxxopts::Options opts(program, description);
  opts.custom_help("[OPTIONS]");
  opts.positional_help("NAME");
  opts.add_options()("h,help", "print this help");
  opts.add_options(kPositionalGroup)("name", "backend name", cxxopts::value<std::string>());
  opts.parse_positional({"name"});
  return opts;
}

std::string name_of(std::string_view command, const cxxopts::ParseResult& r) {
  if (!r.count("name")) throw UsageError(fmt::format("{}: NAME is missing", command));
  std::string name = r["name"].as<std::string>();
  check_backend_name(command, name);
  return name;
}

std::string describe(const store::Backend& b) {
  std::string s = fmt::format("{} {} {}", b.name, address_port(b), b.probe);
  if (b.probe == "sip-options") s += "/" + b.transport;
  s += fmt::format(" every {} (timeout {}, rise {}, fall {})", format_duration_ms(b.interval_ms),
                   format_duration_ms(b.timeout_ms), b.rise, b.fall);
  return s;
}

int backend_add(const Context& ctx, int argc, char** argv) {
  constexpr std::string_view kCmd = "backend add";
  auto opts = name_options("fodns backend add",
                           "Add a backend: a server whose health governs DNS records.\n"
                           "It starts in state unknown (counted as up) until `fodns serve` probes it.\n"
                           "  NAME  1 to 64 of A-Z a-z 0-9 _ . -, unique");
  add_backend_options(opts, true);
  auto r = parse_options(opts, kCmd, argc, argv);
  if (print_help(r, opts, ctx)) return kExitOk;
  std::string name = name_of(kCmd, r);
  if (!r.count("address")) throw UsageError("backend add: --address is required");
  if (!r.count("probe")) throw UsageError("backend add: --probe is required (sip-options, icmp or tcp)");
  store::Backend b;
  b.name = name;
  apply_backend_options(ctx, kCmd, r, b);

  store::Db db(ctx.db_path);
  store::Transaction tx(db);
  if (store::find_backend(db, name)) {
    throw DataError(fmt::format("{}: backend '{}' already exists (change it with `backend set`)",
                                kCmd, name));
  }
  store::insert_backend(db, b, store::unix_now());
  tx.commit();
  ctx.out << fmt::format("added backend {}\n", describe(b));
  return kExitOk;
}

int backend_set(const Context& ctx, int argc, char** argv) {
  constexpr std::string_view kCmd = "backend set";
  auto opts = name_options("fodns backend set",
                           "Change the settings given; the others stay as they are. The result is\n"
                           "checked as `backend add` checks a new backend. --sip-uri '' goes back\n"
                           "to sip:ADDR:PORT. Probe state and drain are kept.");
  add_backend_options(opts, false);
  auto r = parse_options(opts, kCmd, argc, argv);
  if (print_help(r, opts, ctx)) return kExitOk;
  std::string name = name_of(kCmd, r);

  store::Db db(ctx.db_path);
  store::Transaction tx(db);
  store::Backend b = backend_named(kCmd, db, name);
  apply_backend_options(ctx, kCmd, r, b);
  store::update_backend(db, b, store::unix_now());
  tx.commit();
  ctx.out << fmt::format("changed backend {}\n", describe(b));
  return kExitOk;
}

int backend_rm(const Context& ctx, int argc, char** argv) {
  constexpr std::string_view kCmd = "backend rm";
  auto opts = name_options("fodns backend rm",
                           "Remove a backend. Refused while records are governed by it, unless\n"
                           "--force: then those records are served always (ungoverned) and their\n"
                           "zones' serials move on. Its events stay, under its name.");
  opts.add_options()("force", "remove even while records use it (default: off)");
  auto r = parse_options(opts, kCmd, argc, argv);
  if (print_help(r, opts, ctx)) return kExitOk;
  std::string name = name_of(kCmd, r);

  store::Db db(ctx.db_path);
  store::Transaction tx(db);
  store::Backend b = backend_named(kCmd, db, name);
  auto uses = store::backend_usage(db, b.id);
  int64_t total = 0;
  std::string where;
  for (const auto& u : uses) {
    total += u.records;
    where += fmt::format("{}{} in {}", where.empty() ? "" : ", ", u.records, u.zone);
  }
  std::string ungoverned;
  if (total > 0) {
    if (!r.count("force")) {
      throw DataError(fmt::format(
          "{}: backend '{}' governs {} record{} ({}); remove or re-govern them "
          "(`record set-backend ... --none`), or use --force to make them ungoverned",
          kCmd, name, total, total == 1 ? "" : "s", where));
    }
    store::ungovern_records(db, b.id);
    ungoverned = fmt::format("; {} record{} now ungoverned ({})", total, total == 1 ? "" : "s",
                             bump_zones(db, uses));
  }
  store::delete_backend(db, b.id);
  tx.commit();
  ctx.out << fmt::format("removed backend {}{}\n", name, ungoverned);
  return kExitOk;
}

int backend_list(const Context& ctx, int argc, char** argv) {
  cxxopts::Options opts("fodns backend list", "List backends with their settings.");
  opts.custom_help("[OPTIONS]");
  opts.add_options()
      ("json", "print a JSON array of backends (default: off, a table)")
      ("h,help", "print this help");
  auto r = parse_options(opts, "backend list", argc, argv);
  if (print_help(r, opts, ctx)) return kExitOk;
  store::Db db(ctx.db_path);
  auto backends = store::list_backends(db);
  auto counts = store::governed_counts(db);
  auto states = store::load_backend_states(db);
  auto state_of = [&](const store::Backend& b) -> std::string {  // as `status`: a drain wins
    if (b.drained) return "drained";
    auto it = states.find(b.id);
    return it == states.end() ? "unknown" : it->second.state;
  };
  auto records = [&](int64_t id) {
    auto it = counts.find(id);
    return it == counts.end() ? int64_t{0} : it->second;
  };
  if (r.count("json")) {
    ctx.out << "[";
    for (size_t i = 0; i < backends.size(); ++i) {
      const auto& b = backends[i];
      ctx.out << fmt::format(
          "{}{{\"name\":\"{}\",\"address\":\"{}\",\"port\":{},\"probe\":\"{}\",\"transport\":\"{}\","
          "\"interval_ms\":{},\"timeout_ms\":{},\"rise\":{},\"fall\":{},\"alive_codes\":\"{}\","
          "\"sip_uri\":{},\"drained\":{},\"drain_reason\":{},\"records\":{},\"state\":\"{}\"}}",
          i ? "," : "", json_escape(b.name), b.address, b.port, b.probe, b.transport,
          b.interval_ms, b.timeout_ms, b.rise, b.fall, json_escape(b.alive_codes),
          b.sip_uri.empty() ? "null" : "\"" + json_escape(b.sip_uri) + "\"",
          b.drained ? "true" : "false",
          b.drain_reason.empty() ? "null" : "\"" + json_escape(b.drain_reason) + "\"", records(b.id),
          state_of(b));
    }
    ctx.out << "]\n";
    return kExitOk;
  }
  size_t nw = 4, aw = 7;
  for (const auto& b : backends) {
    nw = std::max(nw, b.name.size());
    aw = std::max(aw, address_port(b).size());
  }
  ctx.out << fmt::format("{:<{}}  {:<{}}  {:<15}  {:<7}  {:>8}  {:>8}  {:>4}  {:>4}  {:>7}  {}\n",
                         "NAME", nw, "ADDRESS", aw, "PROBE", "STATE", "INTERVAL", "TIMEOUT", "RISE",
                         "FALL", "RECORDS", "NOTES");
  for (const auto& b : backends) {
    std::string probe = b.probe == "sip-options" ? "sip-options/" + b.transport : b.probe;
    std::string notes;
    if (b.probe == "sip-options") notes = "alive " + b.alive_codes;
    if (!b.sip_uri.empty()) notes += " uri " + b.sip_uri;
    if (b.drained) {
      notes += b.drain_reason.empty() ? " DRAINED" : " DRAINED: " + b.drain_reason;
    }
    ctx.out << fmt::format("{:<{}}  {:<{}}  {:<15}  {:<7}  {:>8}  {:>8}  {:>4}  {:>4}  {:>7}  {}\n",
                           b.name, nw, address_port(b), aw, probe, state_of(b),
                           format_duration_ms(b.interval_ms), format_duration_ms(b.timeout_ms),
                           b.rise, b.fall, records(b.id), notes.starts_with(' ') ? notes.substr(1) : notes);
  }
  return kExitOk;
}

}  // namespace

store::Backend backend_named(std::string_view command, store::Db& db, std::string_view name) {
  auto b = store::find_backend(db, name);
  if (!b) throw DataError(fmt::format("{}: no backend '{}'", command, name));
  return *b;
}

std::string bump_zones(store::Db& db, const std::vector<store::BackendUse>& uses) {
  std::string out;
  int64_t now = store::unix_now();
  for (const auto& u : uses) {
    uint32_t serial = store::bump_zone_serial(db, u.zone_id, now);
    out += fmt::format("{}{} serial {}", out.empty() ? "" : ", ", u.zone, serial);
  }
  return out;
}

int run_backend(const Context& ctx, int argc, char** argv) {
  if (argc < 2) {
    ctx.err << kBackendUsage;
    return kExitUsage;
  }
  std::string_view sub = argv[1];
  if (sub == "--help" || sub == "-h") {
    ctx.out << kBackendUsage;
    return kExitOk;
  }
  if (sub == "add") return backend_add(ctx, argc - 1, argv + 1);
  if (sub == "set") return backend_set(ctx, argc - 1, argv + 1);
  if (sub == "rm") return backend_rm(ctx, argc - 1, argv + 1);
  if (sub == "list") return backend_list(ctx, argc - 1, argv + 1);
  if (sub == "show") return backend_show(ctx, argc - 1, argv + 1);
  if (sub == "drain") return backend_drain(ctx, argc - 1, argv + 1, true);
  if (sub == "resume") return backend_drain(ctx, argc - 1, argv + 1, false);
  ctx.err << fmt::format("backend: unknown subcommand '{}'\n", sub) << kBackendUsage;
  return kExitUsage;
}

}  // namespace fodns::cli
