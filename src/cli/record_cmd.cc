// `fodns record add|rm|list`: single-record edits, each validated against what the
// database holds at that owner (the same rules as an import), each bumping the zone's
// serial (RFC 1982) in the same transaction as the edit.
#include "cli/cli_common.h"  // first: ldns.h breaks <optional> (its `bool` macro)

#include <map>
#include <tuple>

#include <fmt/format.h>
#include <ldns/ldns.h>

#include "cli/backend_cmd.h"
#include "cli/cli_args.h"
#include "cli/governance.h"
#include "cli/record_args.h"
#include "dns/serial.h"
#include "store/backend_repo.h"
#include "store/zone_repo.h"
#include "zonefile/cname_loops.h"
#include "zonefile/zone_file.h"
#include "zonefile/zone_validator.h"

namespace fodns::cli {

namespace {

constexpr std::string_view kRecordUsage =
    "Usage: fodns [--db PATH] record SUBCOMMAND ...\n"
    "  add NAME TTL TYPE RDATA... [--backend NAME] [--priority N]\n"
    "                               add a record, e.g. `record add sip.example.net. 30 A 192.0.2.10`\n"
    "  rm NAME TYPE [RDATA...]      remove one record, or the whole RRset without RDATA\n"
    "  list [ZONE] [--json]         list records of one zone or of all zones\n"
    "  set-backend NAME TYPE RDATA... --backend NAME|--none [--priority N]\n"
    "                               govern an existing record by a backend, or stop\n"
    "Names are absolute (end with a dot). Run `fodns record SUBCOMMAND --help` for options.\n";

int record_add(const Context& ctx, int argc, char** argv) {
  constexpr std::string_view kCmd = "record add";
  cxxopts::Options opts("fodns record add",
                        "Add one record, written as on a zone-file line with absolute names.\n"
                        "The zone is the longest zone in the database that contains NAME.\n"
                        "Adding an SOA at the apex replaces the existing one.\n"
                        "With --backend the record is served only while that backend is up.\n"
                        "  NAME   owner, absolute (ending with a dot)\n"
                        "  TTL    seconds, 0..2147483647\n"
                        "  TYPE   A, AAAA, SRV, NAPTR, ... or TYPEnnn\n"
                        "  RDATA  the record data as in a zone file, names absolute");
  opts.custom_help("[OPTIONS]");
  opts.positional_help("NAME TTL TYPE RDATA... (put -- before RDATA that starts with '-')");
  opts.add_options()
      ("h,help", "print this help")
      ("backend", "govern the record by this backend (default: none, always served)",
       cxxopts::value<std::string>(), "NAME")
      ("priority", "failover tier within the RRset, lower preferred, 0..65535 (default: 0)",
       cxxopts::value<std::string>(), "N");
  opts.add_options(kPositionalGroup)
      ("name", "owner name, absolute", cxxopts::value<std::string>())
      ("ttl", "TTL in seconds", cxxopts::value<std::string>())
      ("type", "record type (A, AAAA, SRV, NAPTR, TYPE65280...)", cxxopts::value<std::string>());
  opts.parse_positional({"name", "ttl", "type"});
  // cxxopts takes "-1" for an option ("Option '1' does not exist"): a negative number
  // before RDATA can only be a TTL given below its range.
  for (int i = 1; i < argc && std::string_view(argv[i]) != "--"; ++i) {
    std::string_view a = argv[i];
    std::string_view before = argv[i - 1];
    if (before == "--backend" || before == "--priority") continue;  // their own range checks
    if (a.size() > 1 && a[0] == '-' && a.find_first_not_of("0123456789", 1) == std::string_view::npos)
      throw UsageError(fmt::format("record add: TTL '{}' is negative (use 0..2147483647; put -- "
                                   "before RDATA that starts with '-')", a));
  }
  std::vector<std::string> rdata;
  auto r = parse_options(opts, kCmd, argc, argv, &rdata);
  if (print_help(r, opts, ctx)) return kExitOk;
  if (!r.count("type")) throw UsageError("record add: NAME TTL TYPE RDATA... expected");
  dns::Bytes owner = owner_arg(kCmd, r["name"].as<std::string>());
  uint32_t ttl = ttl_arg(kCmd, r["ttl"].as<std::string>());
  uint16_t type = type_arg(kCmd, r["type"].as<std::string>());
  if (rdata.empty()) throw UsageError("record add: RDATA is missing");
  dns::Rr rr = parse_record(kCmd, owner, ttl, type, rdata);
  bool governed = r.count("backend") > 0;
  if (r.count("priority") && !governed) throw UsageError("record add: --priority needs --backend");
  if (governed && rr.type == LDNS_RR_TYPE_SOA) {
    throw UsageError("record add: --backend: an SOA record cannot be governed");
  }
  if (r.count("priority")) {
    rr.priority = static_cast<int32_t>(int_arg(kCmd, "--priority", r["priority"].as<std::string>(), 0, 65535));
  }

  store::Db db(ctx.db_path);
  store::Transaction tx(db);
  store::ZoneInfo zone = zone_of(kCmd, db, owner);
  std::string governance;
  if (governed) {
    store::Backend b = backend_named("record add: --backend", db, r["backend"].as<std::string>());
    rr.backend_id = b.id;
    governance = fmt::format(", backend {} priority {}", b.name, rr.priority);
  }
  dns::Bytes origin = dns::name_from_text(zone.name).value();
  auto at_owner = store::records_at(db, zone.id, owner);
  std::vector<dns::Rr> others;
  int64_t old_soa = 0;
  for (const auto& s : at_owner) {
    if (rr.type == LDNS_RR_TYPE_SOA && s.rr.type == LDNS_RR_TYPE_SOA && owner == origin) {
      old_soa = s.id;
    } else {
      others.push_back(s.rr);
    }
  }
  if (auto why = zonefile::check_add(origin, others, rr)) {
    throw DataError(fmt::format("{}: {}", kCmd, *why));
  }
  if (rr.type == LDNS_RR_TYPE_CNAME) {
    auto cname_of = [&](const dns::Bytes& name) -> std::optional<dns::Bytes> {
      for (const auto& s : store::records_at(db, zone.id, name)) {
        if (s.rr.type == LDNS_RR_TYPE_CNAME) return s.rr.rdata;
      }
      return std::nullopt;
    };
    if (auto loop = zonefile::check_cname_loop(owner, rr.rdata, cname_of)) {
      throw DataError(fmt::format("{}: {}", kCmd, *loop));
    }
  }
  uint32_t serial = dns::serial_next(zone.serial);
  if (old_soa != 0) {
    uint32_t wanted = 0;
    dns::soa_fields(rr.rdata, &wanted, nullptr);
    serial = dns::serial_forward(zone.serial, wanted);
    dns::soa_set_serial(rr.rdata, serial);
    store::delete_record(db, old_soa);
  }
  for (const auto& o : others) {
    if (o.type == rr.type && o.ttl != rr.ttl) {
      // RFC 2181 §5.2: one TTL per RRset; servers and caches may pick either.
      ctx.err << fmt::format("{}: warning: the {} {} RRset already has TTL {}, this record {}\n",
                             kCmd, dns::name_to_text(owner),
                             dns::type_to_text(type), o.ttl, rr.ttl);
      break;
    }
  }
  store::insert_record(db, zone.id, rr);
  store::set_zone_serial(db, zone.id, serial, store::unix_now());
  if (governed) warn_soa_minimum(ctx, kCmd, db, zone, false);
  tx.commit();
  ctx.out << fmt::format("added {} (zone {}, serial {}{})\n", dns::rr_to_text(rr), zone.name,
                         serial, governance);
  return kExitOk;
}

int record_rm(const Context& ctx, int argc, char** argv) {
  constexpr std::string_view kCmd = "record rm";
  cxxopts::Options opts("fodns record rm",
                        "Remove the records of NAME and TYPE whose data is RDATA, or the whole\n"
                        "RRset when RDATA is left out. The apex SOA and the last apex NS stay.\n"
                        "  NAME   owner, absolute (ending with a dot)\n"
                        "  TYPE   record type\n"
                        "  RDATA  the record data to match (names compared without case)");
  opts.custom_help("[OPTIONS]");
  opts.positional_help("NAME TYPE [RDATA...]");
  opts.add_options()("h,help", "print this help");
  opts.add_options(kPositionalGroup)
      ("name", "owner name, absolute", cxxopts::value<std::string>())
      ("type", "record type", cxxopts::value<std::string>());
  opts.parse_positional({"name", "type"});
  std::vector<std::string> rdata;
  auto r = parse_options(opts, kCmd, argc, argv, &rdata);
  if (print_help(r, opts, ctx)) return kExitOk;
  if (!r.count("type")) throw UsageError("record rm: NAME TYPE [RDATA...] expected");
  dns::Bytes owner = owner_arg(kCmd, r["name"].as<std::string>());
  uint16_t type = type_arg(kCmd, r["type"].as<std::string>());
  std::optional<dns::Rr> wanted;
  if (!rdata.empty()) wanted = parse_record(kCmd, owner, 0, type, rdata);

  store::Db db(ctx.db_path);
  store::Transaction tx(db);
  store::ZoneInfo zone = zone_of(kCmd, db, owner);
  dns::Bytes origin = dns::name_from_text(zone.name).value();
  auto at_owner = store::records_at(db, zone.id, owner);
  std::vector<store::StoredRr> matched;
  for (const auto& s : at_owner) {
    if (s.rr.type != type) continue;
    if (wanted && !zonefile::same_record(s.rr, *wanted)) continue;
    matched.push_back(s);
  }
  if (matched.empty()) {
    throw DataError(fmt::format("{}: no {} {} record{}{}", kCmd, dns::name_to_text(owner),
                                dns::type_to_text(type), wanted ? " with RDATA " : "",
                                wanted ? join_rdata(rdata) : ""));
  }
  if (auto why = zonefile::check_remove(origin, rrs_of(at_owner), rrs_of(matched))) {
    throw DataError(fmt::format("{}: {}", kCmd, *why));
  }
  for (const auto& m : matched) store::delete_record(db, m.id);
  uint32_t serial = dns::serial_next(zone.serial);
  store::set_zone_serial(db, zone.id, serial, store::unix_now());
  tx.commit();
  ctx.out << fmt::format("removed {} record{} (zone {}, serial {})\n", matched.size(),
                         matched.size() == 1 ? "" : "s", zone.name, serial);
  return kExitOk;
}

int record_list(const Context& ctx, int argc, char** argv) {
  cxxopts::Options opts("fodns record list",
                        "List the records of ZONE, or of every zone, in export order.\n"
                        "A governed record ends with a comment: `; backend NAME priority N`.");
  opts.custom_help("[OPTIONS]");
  opts.positional_help("[ZONE]");
  opts.add_options()
      ("json", "print a JSON array of {zone, name, ttl, type, rdata, backend, priority} "
               "(default: off, zone-file lines)",
       cxxopts::value<bool>()->default_value("false"))
      ("h,help", "print this help");
  opts.add_options(kPositionalGroup)("zone", "zone name (default: every zone)", cxxopts::value<std::string>());
  opts.parse_positional({"zone"});
  auto r = parse_options(opts, "record list", argc, argv);
  if (print_help(r, opts, ctx)) return kExitOk;
  store::Db db(ctx.db_path);
  std::vector<store::ZoneInfo> zones;
  if (r.count("zone")) {
    std::string name = zone_name_arg("record list", r["zone"].as<std::string>());
    auto z = store::find_zone(db, name);
    if (!z) throw DataError(fmt::format("record list: no zone {}", name));
    zones.push_back(*z);
  } else {
    zones = store::list_zones(db);
  }
  bool json = r["json"].as<bool>();
  bool first = true;
  if (json) ctx.out << "[";
  for (const auto& zone : zones) {
    auto content = store::load_zone(db, zone);
    // Governed records are few; find each listed record's governance by its content
    // (a zone holds no duplicate records: the validator refuses them).
    std::map<std::tuple<std::string, uint16_t, dns::Bytes>, const store::GovernedRecord*> gov;
    auto governed = store::governed_records(db, zone.id);
    for (const auto& g : governed) gov[{g.owner, g.type, g.rdata}] = &g;
    for (const dns::Rr* rr : zonefile::export_order(content)) {
      std::string line = dns::rr_to_text(*rr);
      const store::GovernedRecord* g = nullptr;
      if (!gov.empty()) {
        auto it = gov.find({dns::name_to_text(rr->owner), rr->type, rr->rdata});
        if (it != gov.end()) g = it->second;
      }
      if (!json) {
        ctx.out << line;
        if (g) ctx.out << fmt::format(" ; backend {} priority {}", g->backend, g->priority);
        ctx.out << '\n';
        continue;
      }
      ctx.out << fmt::format(
          "{}{{\"zone\":\"{}\",\"name\":\"{}\",\"ttl\":{},\"type\":\"{}\",\"rdata\":\"{}\","
          "\"backend\":{},\"priority\":{}}}",
          first ? "" : ",", json_escape(zone.name), json_escape(dns::name_to_text(rr->owner)),
          rr->ttl, json_escape(dns::type_to_text(rr->type)), json_escape(rdata_of_line(line)),
          g ? "\"" + json_escape(g->backend) + "\"" : "null", g ? g->priority : 0);
      first = false;
    }
  }
  if (json) ctx.out << "]\n";
  return kExitOk;
}

}  // namespace

int run_record(const Context& ctx, int argc, char** argv) {
  if (argc < 2) {
    ctx.err << kRecordUsage;
    return kExitUsage;
  }
  std::string_view sub = argv[1];
  if (sub == "--help" || sub == "-h") {
    ctx.out << kRecordUsage;
    return kExitOk;
  }
  if (sub == "add") return record_add(ctx, argc - 1, argv + 1);
  if (sub == "rm") return record_rm(ctx, argc - 1, argv + 1);
  if (sub == "list") return record_list(ctx, argc - 1, argv + 1);
  if (sub == "set-backend") return record_set_backend(ctx, argc - 1, argv + 1);
  ctx.err << fmt::format("record: unknown subcommand '{}'\n", sub) << kRecordUsage;
  return kExitUsage;
}

}  // namespace fodns::cli
