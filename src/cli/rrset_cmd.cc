// `fodns rrset set NAME TYPE [--all-down open|closed] [--ttl N]`: the failover policy of one
// governed RRset (rrset_policy): what to serve when every member is down, and the TTL of
// its answers. One transaction; bumps the zone's serial since the answers may change.
#include "cli/record_args.h"  // first: cli_common.h before ldns.h

#include <fmt/format.h>

#include "cli/cli_args.h"
#include "cli/governance.h"
#include "dns/serial.h"
#include "store/backend_repo.h"
#include "zone/health_filter.h"

namespace fodns::cli {

namespace {

constexpr std::string_view kRrsetUsage =
    "Usage: fodns [--db PATH] rrset SUBCOMMAND ...\n"
    "  set NAME TYPE [--all-down open|closed] [--ttl N]   failover policy of a governed RRset\n"
    "Run `fodns rrset set --help` for its options.\n";

using zone::kDefaultGovernedTtl;

int rrset_set(const Context& ctx, int argc, char** argv) {
  constexpr std::string_view kCmd = "rrset set";
  cxxopts::Options opts("fodns rrset set",
                        "Set the failover policy of the RRset NAME TYPE (it must exist). Only the\n"
                        "options given change.\n"
                        "  NAME   owner, absolute (ending with a dot)\n"
                        "  TYPE   record type");
  opts.custom_help("[OPTIONS]");
  opts.positional_help("NAME TYPE");
  opts.add_options()
      ("all-down", "when every governed member is down: open serves them all, closed answers "
                   "NODATA (default: open)",
       cxxopts::value<std::string>(), "open|closed")
      ("ttl", fmt::format("TTL of the RRset's answers while governed, 1..86400 (default: {})",
                          kDefaultGovernedTtl),
       cxxopts::value<std::string>(), "N")
      ("h,help", "print this help");
  opts.add_options(kPositionalGroup)
      ("name", "owner name, absolute", cxxopts::value<std::string>())
      ("type", "record type", cxxopts::value<std::string>());
  opts.parse_positional({"name", "type"});
  auto r = parse_options(opts, kCmd, argc, argv);
  if (print_help(r, opts, ctx)) return kExitOk;
  if (!r.count("type")) throw UsageError("rrset set: NAME TYPE expected");
  dns::Bytes owner = owner_arg(kCmd, r["name"].as<std::string>());
  uint16_t type = type_arg(kCmd, r["type"].as<std::string>());
  if (!r.count("all-down") && !r.count("ttl")) {
    throw UsageError("rrset set: nothing to set (give --all-down and/or --ttl)");
  }
  std::optional<std::string> all_down;
  if (r.count("all-down")) {
    all_down = r["all-down"].as<std::string>();
    if (*all_down != "open" && *all_down != "closed") {
      throw UsageError(
          fmt::format("rrset set: --all-down '{}' is not one of open, closed", *all_down));
    }
  }
  std::optional<uint32_t> ttl;
  if (r.count("ttl")) {
    ttl = static_cast<uint32_t>(int_arg(kCmd, "--ttl", r["ttl"].as<std::string>(), 1, 86400));
  }

  store::Db db(ctx.db_path);
  store::Transaction tx(db);
  store::ZoneInfo zone = zone_of(kCmd, db, owner);
  std::string owner_text = dns::name_to_text(owner);
  size_t members = 0;
  for (const auto& s : store::records_at(db, zone.id, owner)) members += s.rr.type == type;
  if (members == 0) {
    throw DataError(fmt::format("{}: no {} {} RRset in zone {}", kCmd, dns::name_to_text(owner),
                                dns::type_to_text(type), zone.name));
  }
  auto policy = store::find_rrset_policy(db, zone.id, owner_text, type).value_or(store::RrsetPolicyRow{});
  if (all_down) policy.all_down = *all_down;
  if (ttl) policy.ttl = ttl;
  store::upsert_rrset_policy(db, zone.id, owner_text, type, policy);
  uint32_t serial = dns::serial_next(zone.serial);
  store::set_zone_serial(db, zone.id, serial, store::unix_now());
  size_t governed = 0;
  for (const auto& g : store::governed_records(db, zone.id)) {
    governed += g.owner == owner_text && g.type == type;
  }
  if (governed == 0) {
    ctx.err << fmt::format("{}: note: no record of {} {} is governed yet (`record set-backend`); "
                           "the policy applies once one is\n",
                           kCmd, dns::name_to_text(owner), dns::type_to_text(type));
  }
  warn_soa_minimum(ctx, kCmd, db, zone, false);
  tx.commit();
  ctx.out << fmt::format("{} {}: all-down {}, ttl {} (zone {}, serial {})\n",
                         dns::name_to_text(owner), dns::type_to_text(type), policy.all_down,
                         policy.ttl ? std::to_string(*policy.ttl)
                                    : fmt::format("{} (default)", kDefaultGovernedTtl),
                         zone.name, serial);
  return kExitOk;
}

}  // namespace

int run_rrset(const Context& ctx, int argc, char** argv) {
  if (argc < 2) {
    ctx.err << kRrsetUsage;
    return kExitUsage;
  }
  std::string_view sub = argv[1];
  if (sub == "--help" || sub == "-h") {
    ctx.out << kRrsetUsage;
    return kExitOk;
  }
  if (sub == "set") return rrset_set(ctx, argc - 1, argv + 1);
  ctx.err << fmt::format("rrset: unknown subcommand '{}'\n", sub) << kRrsetUsage;
  return kExitUsage;
}

}  // namespace fodns::cli
