// Dependents: which nodes of a zone answer differently when backend health or
// the zone's serial changes, and the few records recompiling them needs.
// Threading: pure functions, control loop.
//
// A node depends on health when one of its answers carries a governed RRset
// (its own, the A/AAAA of an NS/MX/SRV target added as additional data, the
// SRV and addresses a NAPTR leads to, the referral of a governed cut) or the
// SOA (CNAME chains that stay in the zone and may end negative; the SOA RRset
// is always kept, as the responder takes every answer carrying it from the overlay).
// `kept` holds the records of those nodes and everything their answers pull in
// (targets, CNAME chain nodes, closest enclosers and wildcards, the cuts above
// them and their glue), so that compiling `kept` answers every dependent node
// byte for byte as compiling the whole zone does; every other node's answers
// cannot change with health and stay in the base compiled once at load.
#pragma once

#include <functional>
#include <vector>

#include "dns/zone_content.h"

namespace fodns::zone {

struct Dependents {
  std::vector<dns::Bytes> nodes;  // answered from the overlay
  dns::ZoneContent kept;          // origin, serial, policies, the records and names they need
};

/// True if A/AAAA records of `name` are governed in another zone this instance serves.
using GovernedElsewhere = std::function<bool(const dns::Bytes& lowercase_name)>;

Dependents find_dependents(const dns::ZoneContent& zone, const GovernedElsewhere& elsewhere);

}  // namespace fodns::zone
