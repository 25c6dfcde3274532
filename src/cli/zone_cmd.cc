// `fodns zone import|export|list|rm` (set and show: zone_transfer_cmd.cc).
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>

#include <fmt/format.h>

#include "cli/cli_common.h"
#include "cli/governance.h"
#include "cli/zone_transfer_cmd.h"
#include "common/progress.h"
#include "store/zone_repo.h"
#include "zonefile/zone_file.h"
#include "zonefile/zone_validator.h"

namespace fodns::cli {

namespace {

constexpr std::string_view kZoneUsage =
    "Usage: fodns [--db PATH] zone SUBCOMMAND ...\n"
    "  import FILE [--origin NAME] [--replace]   import a BIND master file\n"
    "  export NAME                               print the zone as a master file\n"
    "  list [--json]                             list zones\n"
    "  rm NAME                                   remove a zone\n"
    "  set NAME [--notify ADDR[:PORT]]... [--allow-transfer RULE]... [--journal-max N] ...\n"
    "                                            transfer settings (NOTIFY, ACL, journal)\n"
    "  show NAME                                 a zone's serial, transfer settings, journal\n"
    "Run `fodns zone SUBCOMMAND --help` for its options.\n";

bool wants_help(const cxxopts::ParseResult& r, cxxopts::Options& opts, const Context& ctx) {
  return print_help(r, opts, ctx);
}

int zone_import(const Context& ctx, int argc, char** argv) {
  cxxopts::Options opts("fodns zone import",
                        "Import a BIND master file (FILE) as one zone, in one transaction.\n"
                        "Any error leaves the database unchanged and exits with code 2.");
  opts.custom_help("[OPTIONS]");
  opts.positional_help("FILE");
  opts.add_options()
      ("origin", "the zone's apex (default: the file's $ORIGIN, else the SOA owner)",
       cxxopts::value<std::string>(), "NAME")
      ("replace", "replace the zone if it exists; its serial only moves forward (default: off, "
                  "an existing zone is refused)",
       cxxopts::value<bool>()->default_value("false"))
      ("h,help", "print this help");
  opts.add_options(kPositionalGroup)("file", "the master file", cxxopts::value<std::string>());
  opts.parse_positional({"file"});
  auto r = parse_options(opts, "zone import", argc, argv);
  if (wants_help(r, opts, ctx)) return kExitOk;
  if (!r.count("file")) throw UsageError("zone import: FILE is missing");
  std::string file = r["file"].as<std::string>();
  std::string origin;
  if (r.count("origin")) {
    origin = zone_name_arg("zone import: --origin", r["origin"].as<std::string>());
  }

  if (::access(file.c_str(), R_OK) != 0) {
    // Cannot read it at all: the environment's fault (exit 3), not the file's content's (2).
    throw RuntimeError(fmt::format("zone import: {}: cannot open: {}", file, strerror(errno)));
  }
  // How far a big import is: a terminal line, or a log line every 5 s (progress.h).
  progress::Task task(fmt::format("importing {}", file));
  auto parsed = zonefile::parse_zone_file(file, origin);
  if (!parsed) throw DataError(parsed.error().message);
  progress::phase("validating");
  auto& pz = parsed.value();
  if (auto bad = zonefile::validate_zone(pz.content)) {
    int line = bad->rr_index == zonefile::ZoneError::kWholeZone ? pz.last_line
                                                                 : pz.lines[bad->rr_index];
    throw DataError(fmt::format("{}:{}: {}", file, line, bad->reason));
  }
  if (pz.duplicates > 0) {
    ctx.err << fmt::format("{}: warning: {} duplicate record(s) ignored\n", file, pz.duplicates);
  }
  store::Db db(ctx.db_path);
  store::Transaction tx(db);
  progress::phase("storing");
  if (store::find_zone(db, pz.origin_text) && !r["replace"].as<bool>()) {
    throw DataError(fmt::format("{}: zone {} already exists (use --replace to replace it)", file,
                                pz.origin_text));
  }
  uint32_t serial = store::store_zone(db, pz.content, store::unix_now());
  if (auto zone = store::find_zone(db, pz.origin_text)) {
    warn_soa_minimum(ctx, file, db, *zone, /*only_if_governed=*/true);  // --replace keeps governance
  }
  progress::phase("committing");
  tx.commit();
  task.finish();  // erase the progress line before the result is printed
  ctx.out << fmt::format("imported {} ({} records, serial {})\n", pz.origin_text,
                         pz.content.rrs.size(), serial);
  return kExitOk;
}

int zone_export(const Context& ctx, int argc, char** argv) {
  cxxopts::Options opts("fodns zone export",
                        "Print zone NAME as a master file (absolute names, SOA first).");
  opts.custom_help("[OPTIONS]");
  opts.positional_help("NAME");
  opts.add_options()("h,help", "print this help");
  opts.add_options(kPositionalGroup)("name", "zone name", cxxopts::value<std::string>());
  opts.parse_positional({"name"});
  auto r = parse_options(opts, "zone export", argc, argv);
  if (wants_help(r, opts, ctx)) return kExitOk;
  if (!r.count("name")) throw UsageError("zone export: NAME is missing");
  std::string name = zone_name_arg("zone export", r["name"].as<std::string>());
  store::Db db(ctx.db_path);
  auto zone = store::find_zone(db, name);
  if (!zone) throw DataError(fmt::format("zone export: no zone {}", name));
  auto content = store::load_zone(db, *zone);
  zonefile::write_zone(content, ctx.out);
  return kExitOk;
}

int zone_list(const Context& ctx, int argc, char** argv) {
  cxxopts::Options opts("fodns zone list", "List zones with their served serial and size.");
  opts.custom_help("[OPTIONS]");
  opts.add_options()
      ("json", "print a JSON array of {name, serial, records, notify, allow_transfer, journal} (default: off, a table)",
       cxxopts::value<bool>()->default_value("false"))
      ("h,help", "print this help");
  auto r = parse_options(opts, "zone list", argc, argv);
  if (wants_help(r, opts, ctx)) return kExitOk;
  store::Db db(ctx.db_path);
  auto zones = store::list_zones(db);
  if (r["json"].as<bool>()) {
    ctx.out << "[";
    for (size_t i = 0; i < zones.size(); ++i) {
      ctx.out << fmt::format("{}{{\"name\":\"{}\",\"serial\":{},\"records\":{}{}}}", i ? "," : "",
                             json_escape(zones[i].name), zones[i].serial, zones[i].record_count,
                             zone_transfer_json(db, zones[i].id));
    }
    ctx.out << "]\n";
    return kExitOk;
  }
  size_t width = 4;
  for (const auto& z : zones) width = std::max(width, z.name.size());
  ctx.out << fmt::format("{:<{}}  {:>10}  {:>8}\n", "NAME", width, "SERIAL", "RECORDS");
  for (const auto& z : zones) {
    ctx.out << fmt::format("{:<{}}  {:>10}  {:>8}\n", z.name, width, z.serial, z.record_count);
  }
  return kExitOk;
}

int zone_rm(const Context& ctx, int argc, char** argv) {
  cxxopts::Options opts("fodns zone rm", "Remove zone NAME and all its records.");
  opts.custom_help("[OPTIONS]");
  opts.positional_help("NAME");
  opts.add_options()("h,help", "print this help");
  opts.add_options(kPositionalGroup)("name", "zone name", cxxopts::value<std::string>());
  opts.parse_positional({"name"});
  auto r = parse_options(opts, "zone rm", argc, argv);
  if (wants_help(r, opts, ctx)) return kExitOk;
  if (!r.count("name")) throw UsageError("zone rm: NAME is missing");
  std::string name = zone_name_arg("zone rm", r["name"].as<std::string>());
  store::Db db(ctx.db_path);
  store::Transaction tx(db);
  if (!store::delete_zone(db, name)) throw DataError(fmt::format("zone rm: no zone {}", name));
  tx.commit();
  ctx.out << fmt::format("removed {}\n", name);
  return kExitOk;
}

}  // namespace

int run_zone(const Context& ctx, int argc, char** argv) {
  if (argc < 2) {
    ctx.err << kZoneUsage;
    return kExitUsage;
  }
  std::string_view sub = argv[1];
  if (sub == "--help" || sub == "-h") {
    ctx.out << kZoneUsage;
    return kExitOk;
  }
  if (sub == "import") return zone_import(ctx, argc - 1, argv + 1);
  if (sub == "export") return zone_export(ctx, argc - 1, argv + 1);
  if (sub == "list") return zone_list(ctx, argc - 1, argv + 1);
  if (sub == "rm") return zone_rm(ctx, argc - 1, argv + 1);
  if (sub == "set") return zone_set(ctx, argc - 1, argv + 1);
  if (sub == "show") return zone_show(ctx, argc - 1, argv + 1);
  ctx.err << fmt::format("zone: unknown subcommand '{}'\n", sub) << kZoneUsage;
  return kExitUsage;
}

}  // namespace fodns::cli
