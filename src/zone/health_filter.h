// apply_health: the failover semantics of DESIGN.md, as a pure function from
// (zone as stored, health of every backend) to the zone as it should be served.
// The snapshot builder compiles its result, so the query path knows nothing of health.
//
// - A governed record is a member while its backend is serving (up or unknown, not drained).
// - Within an RRset, the members of the best (lowest) priority tier that has a
//   member are served: equal priorities form a pool, different ones primary/backup.
// - SRV records are governed through their target: a target whose governed
//   A/AAAA records are all out is left out of the SRV RRset. The target may be
//   in another zone this instance serves (a tenant zone's SRV pointing at the
//   provider's proxies): `elsewhere` tells its health.
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

/// Governed A/AAAA records of a name outside the zone: {governed, serving}; {0, 0} if none.
struct TargetCount {
  int governed = 0;
  int serving = 0;
};
using TargetHealth = std::function<TargetCount(const dns::Bytes& lowercase_name)>;

dns::ZoneContent apply_health(const dns::ZoneContent& zone, const BackendServing& serving,
                              const TargetHealth& elsewhere = {});

/// The lowercase target of an SRV record, empty if malformed.
dns::Bytes srv_target(const dns::Rr& rr);


}  // namespace fodns::zone
