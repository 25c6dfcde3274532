// `fodns zone import|export|list|rm` (set and show: zone_transfer_cmd.cc).

#include <iostream>

#include <fmt/format.h>

#include "cli/cli_common.h"
#include "cli/zone_import_cmd.h"
#include "cli/zone_transfer_cmd.h"
#include "store/zone_repo.h"
#include "zonefile/zone_file.h"

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
