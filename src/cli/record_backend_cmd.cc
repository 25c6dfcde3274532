// `fodns record set-backend NAME TYPE RDATA... --backend NAME|--none [--priority N]`:
// governs an existing record (e.g. one that came from `zone import`) by a backend, or makes
// it ungoverned. Bumps the zone's serial like any record edit; one transaction.
#include "cli/record_args.h"  // first: cli_common.h before ldns.h

#include <fmt/format.h>
#include <ldns/ldns.h>

#include "cli/backend_cmd.h"
#include "cli/cli_args.h"
#include "cli/governance.h"
#include "dns/serial.h"
#include "store/backend_repo.h"
#include "zonefile/zone_validator.h"

namespace fodns::cli {

int record_set_backend(const Context& ctx, int argc, char** argv) {
  constexpr std::string_view kCmd = "record set-backend";
  cxxopts::Options opts("fodns record set-backend",
                        "Govern the existing record NAME TYPE RDATA by a backend: it is served\n"
                        "only while that backend is up. --none makes it ungoverned again.\n"
                        "  NAME   owner, absolute (ending with a dot)\n"
                        "  TYPE   record type\n"
                        "  RDATA  the record data to match (names compared without case)");
  opts.custom_help("[OPTIONS]");
  opts.positional_help("NAME TYPE RDATA...");
  opts.add_options()
      ("backend", "the governing backend (required unless --none)", cxxopts::value<std::string>(),
       "NAME")
      ("none", "make the record ungoverned, always served (default: off; required unless "
               "--backend)")
      ("priority", "failover tier within the RRset, lower preferred, 0..65535 "
                   "(default: the record's current priority)",
       cxxopts::value<std::string>(), "N")
      ("h,help", "print this help");
  opts.add_options(kPositionalGroup)
      ("name", "owner name, absolute", cxxopts::value<std::string>())
      ("type", "record type", cxxopts::value<std::string>());
  opts.parse_positional({"name", "type"});
  std::vector<std::string> rdata;
  auto r = parse_options(opts, kCmd, argc, argv, &rdata);
  if (print_help(r, opts, ctx)) return kExitOk;
  if (!r.count("type")) throw UsageError("record set-backend: NAME TYPE RDATA... expected");
  dns::Bytes owner = owner_arg(kCmd, r["name"].as<std::string>());
  uint16_t type = type_arg(kCmd, r["type"].as<std::string>());
  if (rdata.empty()) throw UsageError("record set-backend: RDATA is missing");
  bool none = r.count("none") > 0;
  if (none == (r.count("backend") > 0)) {
    throw UsageError("record set-backend: give either --backend NAME or --none");
  }
  if (none && r.count("priority")) throw UsageError("record set-backend: --priority needs --backend");
  if (type == LDNS_RR_TYPE_SOA && !none) {
    throw UsageError("record set-backend: --backend: an SOA record cannot be governed");
  }
  std::optional<int32_t> priority;
  if (r.count("priority")) {
    priority = static_cast<int32_t>(
        int_arg(kCmd, "--priority", r["priority"].as<std::string>(), 0, 65535));
  }
  dns::Rr wanted = parse_record(kCmd, owner, 0, type, rdata);

  store::Db db(ctx.db_path);
  store::Transaction tx(db);
  store::ZoneInfo zone = zone_of(kCmd, db, owner);
  int64_t backend_id = 0;
  std::string backend = "none";
  if (!none) {
    auto b = backend_named("record set-backend: --backend", db, r["backend"].as<std::string>());
    backend_id = b.id;
    backend = b.name;
  }
  std::optional<store::StoredRr> match;
  for (const auto& s : store::records_at(db, zone.id, owner)) {
    if (s.rr.type == type && zonefile::same_record(s.rr, wanted)) match = s;
  }
  if (!match) {
    throw DataError(fmt::format("{}: no {} {} record with RDATA {}", kCmd, dns::name_to_text(owner),
                                dns::type_to_text(type), join_rdata(rdata)));
  }
  // Keep the current priority unless one is given; an ungoverned record goes back to 0.
  int32_t current = 0;
  for (const auto& g : store::governed_records(db, zone.id)) {
    if (g.record_id == match->id) current = g.priority;
  }
  int32_t prio = none ? 0 : priority.value_or(current);
  store::set_record_backend(db, match->id, backend_id, prio);
  uint32_t serial = dns::serial_next(zone.serial);
  store::set_zone_serial(db, zone.id, serial, store::unix_now());
  if (!none) warn_soa_minimum(ctx, kCmd, db, zone, false);
  tx.commit();
  ctx.out << fmt::format("{} {}: backend {}{} (zone {}, serial {})\n", dns::name_to_text(owner),
                         dns::type_to_text(type), backend,
                         none ? "" : fmt::format(" priority {}", prio), zone.name, serial);
  return kExitOk;
}

}  // namespace fodns::cli
