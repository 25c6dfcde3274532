// apply_health: the failover semantics of DESIGN.md, as a pure function from
// (zone as stored, health of every backend) to the zone as it should be served.
// The snapshot builder compiles its result, so the query path knows nothing of health.
//
// - A governed record is a member while its backend is serving (up or unknown, not drained).
// - Within an RRset, the members of the best (lowest) priority tier that has a
//   member are served: equal priorities form a pool, different ones primary/backup.
// - SRV records are governed through their target: a target whose governed
//   A/AAAA records are all out is left out of the SRV RRset.
// - When nothing is left: all-down "open" (default) serves every record, "closed" serves none.
// - RRsets with governed members get a low TTL: the policy TTL if set, else at
//   most kDefaultGovernedTtl.
#pragma once

#include <cstdint>
#include <functional>

#include "dns/zone_content.h"

namespace fodns::zone {

inline constexpr uint32_t kDefaultGovernedTtl = 20;

/// True if the backend with this id is serving.
using BackendServing = std::function<bool(int64_t backend_id)>;

dns::ZoneContent apply_health(const dns::ZoneContent& zone, const BackendServing& serving);

/// True if any record of the zone is governed (directly).
bool has_governed_records(const dns::ZoneContent& zone);

}  // namespace fodns::zone
