// Checks shared by the commands that make a zone's answers depend on backend health.
// Internal to src/cli.
#pragma once

#include <string_view>

#include "cli/cli_common.h"
#include "store/zone_repo.h"

namespace fodns::cli {

/// Governed answers should be cached briefly, negative ones too: a resolver keeps an
/// NXDOMAIN/NODATA (e.g. from --all-down closed) for up to the SOA MINIMUM (RFC 2308 §5).
inline constexpr uint32_t kMaxGovernedSoaMinimum = 60;

/// Warns on ctx.err (not an error) if zone `zone`'s SOA MINIMUM is above 60 s.
/// With `only_if_governed`, only when the zone holds governed records.
void warn_soa_minimum(const Context& ctx, std::string_view command, store::Db& db,
                      const store::ZoneInfo& zone, bool only_if_governed);

}  // namespace fodns::cli
