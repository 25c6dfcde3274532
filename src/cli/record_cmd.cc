// `fodns record add|rm|list`: single-record edits, each validated against what the
// database holds at that owner (the same rules as an import), each bumping the zone's
// serial (RFC 1982) in the same transaction as the edit.
#include "cli/cli_common.h"  // first: ldns.h breaks <optional> (its `bool` macro)

#include <fmt/format.h>
#include <ldns/ldns.h>

#include "dns/serial.h"
#include "store/zone_repo.h"
#include "zonefile/zone_file.h"
#include "zonefile/zone_validator.h"

namespace fodns::cli {

namespace {

constexpr std::string_view kRecordUsage =
    "Usage: fodns [--db PATH] record SUBCOMMAND ...\n"
    "  add NAME TTL TYPE RDATA...   add a record, e.g. `record add sip.example.net. 30 A 192.0.2.10`\n"
    "  rm NAME TYPE [RDATA...]      remove one record, or the whole RRset without RDATA\n"
    "  list [ZONE] [--json]         list records of one zone or of all zones\n"
    "Names are absolute (end with a dot). Run `fodns record SUBCOMMAND --help` for options.\n";

bool is_absolute(std::string_view name) {
  if (name.empty() || name.back() != '.') return false;
  // "a\." ends with an escaped dot, which is part of a label; count the backslashes.
  size_t slashes = 0;
  for (size_t i = name.size() - 1; i > 0 && name[i - 1] == '\\'; --i) ++slashes;
  return slashes % 2 == 0;
}

// NAME: absolute, valid; returns the lowercase wire form.
dns::Bytes owner_arg(std::string_view command, std::string_view name) {
  if (!is_absolute(name)) {
    throw UsageError(fmt::format("{}: NAME '{}' is not absolute (end it with a dot)", command, name));
  }
  auto wire = dns::name_from_text(name);
  if (!wire) throw UsageError(fmt::format("{}: NAME {}", command, wire.error().message));
  return std::move(wire.value());
}

uint16_t type_arg(std::string_view command, std::string_view text) {
  uint16_t type = 0;
  if (!dns::type_from_text(text, &type)) {
    throw UsageError(fmt::format("{}: TYPE '{}' is not a known record type", command, text));
  }
  return type;
}

uint32_t ttl_arg(std::string_view command, std::string_view text) {
  if (text.empty() || text.size() > 10 ||
      text.find_first_not_of("0123456789") != std::string_view::npos) {
    throw UsageError(fmt::format("{}: TTL '{}' is not a number", command, text));
  }
  uint64_t v = std::stoull(std::string(text));
  // RFC 2181 §8: TTLs are 31-bit; larger values are treated as zero by resolvers.
  if (v > 0x7FFFFFFFu) {
    throw UsageError(fmt::format("{}: TTL '{}' is above 2147483647 (RFC 2181 §8)", command, text));
  }
  return static_cast<uint32_t>(v);
}

// Joins RDATA words back into zone-file text. The shell has already removed quotes, so a
// word with blanks in it (a TXT string) is quoted again.
std::string join_rdata(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) out += ' ';
    bool quoted = w.size() >= 2 && w.front() == '"' && w.back() == '"';
    if (!quoted && (w.empty() || w.find_first_of(" \t") != std::string::npos)) {
      out += '"';
      for (char c : w) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
      }
      out += '"';
    } else {
      out += w;
    }
  }
  return out;
}

dns::Rr parse_record(std::string_view command, const dns::Bytes& owner, uint32_t ttl,
                     uint16_t type, const std::vector<std::string>& rdata) {
  std::string line = fmt::format("{} {} IN {} {}", dns::name_to_text(owner), ttl,
                                 dns::type_to_text(type), join_rdata(rdata));
  auto rr = zonefile::parse_absolute_rr(line);
  if (!rr) throw DataError(fmt::format("{}: RDATA '{}': {}", command, join_rdata(rdata),
                                       rr.error().message));
  return std::move(rr.value());
}

store::ZoneInfo zone_of(std::string_view command, store::Db& db, const dns::Bytes& owner) {
  auto zone = store::find_enclosing_zone(db, owner);
  if (!zone) {
    throw DataError(fmt::format("{}: {} is not inside any zone in {}", command,
                                dns::name_to_text(owner), db.path()));
  }
  return *zone;
}

std::vector<dns::Rr> rrs_of(const std::vector<store::StoredRr>& stored) {
  std::vector<dns::Rr> out;
  for (const auto& s : stored) out.push_back(s.rr);
  return out;
}

int record_add(const Context& ctx, int argc, char** argv) {
  constexpr std::string_view kCmd = "record add";
  cxxopts::Options opts("fodns record add",
                        "Add one record, written as on a zone-file line with absolute names.\n"
                        "The zone is the longest zone in the database that contains NAME.\n"
                        "Adding an SOA at the apex replaces the existing one.\n"
                        "  NAME   owner, absolute (ending with a dot)\n"
                        "  TTL    seconds, 0..2147483647\n"
                        "  TYPE   A, AAAA, SRV, NAPTR, ... or TYPEnnn\n"
                        "  RDATA  the record data as in a zone file, names absolute");
  opts.custom_help("[OPTIONS]");
  opts.positional_help("NAME TTL TYPE RDATA... (put -- before RDATA that starts with '-')");
  opts.add_options()
      ("h,help", "print this help")
      ("name", "owner name, absolute", cxxopts::value<std::string>())
      ("ttl", "TTL in seconds", cxxopts::value<std::string>())
      ("type", "record type (A, AAAA, SRV, NAPTR, TYPE65280...)", cxxopts::value<std::string>());
  opts.parse_positional({"name", "ttl", "type"});
  std::vector<std::string> rdata;
  auto r = parse_options(opts, kCmd, argc, argv, &rdata);
  if (r.count("help")) {
    ctx.out << opts.help() << "\n";
    return kExitOk;
  }
  if (!r.count("type")) throw UsageError("record add: NAME TTL TYPE RDATA... expected");
  dns::Bytes owner = owner_arg(kCmd, r["name"].as<std::string>());
  uint32_t ttl = ttl_arg(kCmd, r["ttl"].as<std::string>());
  uint16_t type = type_arg(kCmd, r["type"].as<std::string>());
  if (rdata.empty()) throw UsageError("record add: RDATA is missing");
  dns::Rr rr = parse_record(kCmd, owner, ttl, type, rdata);

  store::Db db(ctx.db_path);
  store::Transaction tx(db);
  store::ZoneInfo zone = zone_of(kCmd, db, owner);
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
  tx.commit();
  ctx.out << fmt::format("added {} (zone {}, serial {})\n", dns::rr_to_text(rr), zone.name, serial);
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
  opts.add_options()
      ("h,help", "print this help")
      ("name", "owner name, absolute", cxxopts::value<std::string>())
      ("type", "record type", cxxopts::value<std::string>());
  opts.parse_positional({"name", "type"});
  std::vector<std::string> rdata;
  auto r = parse_options(opts, kCmd, argc, argv, &rdata);
  if (r.count("help")) {
    ctx.out << opts.help() << "\n";
    return kExitOk;
  }
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

// "owner\tttl\tIN\tTYPE\trdata" as ldns prints it -> the rdata part.
std::string rdata_text(const std::string& line) {
  size_t pos = 0;
  for (int i = 0; i < 4; ++i) {
    pos = line.find('\t', pos);
    if (pos == std::string::npos) return {};
    ++pos;
  }
  return line.substr(pos);
}

int record_list(const Context& ctx, int argc, char** argv) {
  cxxopts::Options opts("fodns record list",
                        "List the records of ZONE, or of every zone, in export order.");
  opts.custom_help("[OPTIONS]");
  opts.positional_help("[ZONE]");
  opts.add_options()
      ("json", "print a JSON array of {zone, name, ttl, type, rdata}",
       cxxopts::value<bool>()->default_value("false"))
      ("h,help", "print this help")
      ("zone", "zone name (default: every zone)", cxxopts::value<std::string>());
  opts.parse_positional({"zone"});
  auto r = parse_options(opts, "record list", argc, argv);
  if (r.count("help")) {
    ctx.out << opts.help() << "\n";
    return kExitOk;
  }
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
    for (const dns::Rr* rr : zonefile::export_order(content)) {
      std::string line = dns::rr_to_text(*rr);
      if (!json) {
        ctx.out << line << '\n';
        continue;
      }
      ctx.out << fmt::format(
          "{}{{\"zone\":\"{}\",\"name\":\"{}\",\"ttl\":{},\"type\":\"{}\",\"rdata\":\"{}\"}}",
          first ? "" : ",", json_escape(zone.name), json_escape(dns::name_to_text(rr->owner)),
          rr->ttl, json_escape(dns::type_to_text(rr->type)), json_escape(rdata_text(line)));
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
  ctx.err << fmt::format("record: unknown subcommand '{}'\n", sub) << kRecordUsage;
  return kExitUsage;
}

}  // namespace fodns::cli
