#include "cli/governance.h"

#include <fmt/format.h>

#include "dns/name.h"
#include "dns/rr.h"
#include "store/backend_repo.h"

namespace fodns::cli {

void warn_soa_minimum(const Context& ctx, std::string_view command, store::Db& db,
                      const store::ZoneInfo& zone, bool only_if_governed) {
  if (only_if_governed && store::governed_records(db, zone.id).empty()) return;
  auto origin = dns::name_from_text(zone.name);
  if (!origin) return;
  constexpr uint16_t kSoa = 6;
  for (const auto& s : store::records_at(db, zone.id, origin.value())) {
    uint32_t minimum = 0;
    if (s.rr.type != kSoa || !dns::soa_fields(s.rr.rdata, nullptr, &minimum)) continue;
    if (minimum > kMaxGovernedSoaMinimum) {
      ctx.err << fmt::format(
          "{}: warning: zone {} has SOA MINIMUM {}: negative answers are "
          "cached up to MINIMUM seconds; keep it <= {} for fast failover\n",
          command, zone.name, minimum, kMaxGovernedSoaMinimum);
    }
    return;
  }
}

}  // namespace fodns::cli
