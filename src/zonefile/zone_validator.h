// Zone validation: the rules a zone must meet before it is stored, checked either on a
// whole zone (import) or on one owner name at a time (record add/rm), so that both paths
// refuse the same things.
//   - exactly one SOA, at the apex; at least one NS at the apex
//   - a CNAME stands alone at its owner (RFC 1034 §3.6.2, RFC 2181 §10.1); DNSSEC types
//     (RRSIG, NSEC) may accompany it (RFC 4035 §2.5)
//   - every owner at or below the apex
//   - no CNAME loop among the zone's names (cname_loops.h)
// Threading: pure functions.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "dns/zone_content.h"

namespace fodns::zonefile {

struct ZoneError {
  static constexpr size_t kWholeZone = static_cast<size_t>(-1);
  size_t rr_index = kWholeZone;  // the offending record in ZoneContent::rrs, or kWholeZone
  std::string reason;
};

/// Checks a whole zone. @return the first problem found, in file order where it has one.
std::optional<ZoneError> validate_zone(const dns::ZoneContent& zone);

/// Checks adding `rr` to a zone whose records at rr.owner are `at_owner`.
/// An SOA being replaced must already be left out of `at_owner` by the caller.
/// @return why it is refused, or nullopt.
std::optional<std::string> check_add(const dns::Bytes& origin, const std::vector<dns::Rr>& at_owner,
                                     const dns::Rr& rr);

/// Checks removing `removed` (records of one owner) from a zone whose records at that owner
/// are `at_owner` (which includes `removed`). @return why it is refused, or nullopt.
std::optional<std::string> check_remove(const dns::Bytes& origin,
                                        const std::vector<dns::Rr>& at_owner,
                                        const std::vector<dns::Rr>& removed);

/// True if the two records carry the same data, comparing names inside the rdata without
/// regard to case (RFC 4343), as DNSSEC canonical form does (RFC 4034 §6.2).
bool same_record(const dns::Rr& a, const dns::Rr& b);

}  // namespace fodns::zonefile
