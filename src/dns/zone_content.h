// ZoneContent: one zone as stored, ready for validation or for the snapshot builder.
#pragma once

#include <cstdint>
#include <vector>

#include "dns/rr.h"

namespace fodns::dns {

/// Failover policy of one RRset (table rrset_policy).
struct RrsetPolicy {
  Bytes owner;                  // lowercase wire
  uint16_t type = 0;
  bool all_down_closed = false; // when every member is down: NODATA instead of serving all
  uint32_t ttl = 0;             // 0: the default governed TTL
};

struct ZoneContent {
  int64_t zone_id = 0;   // row id in the store; 0 when not stored
  Bytes origin;          // lowercase wire name of the apex
  uint32_t serial = 0;   // the served serial; the SOA in `rrs` carries it too
  std::vector<Rr> rrs;   // every record, SOA included
  std::vector<RrsetPolicy> policies;
  /// Names that exist though no record is served there (all-down closed): NODATA, not NXDOMAIN.
  std::vector<Bytes> empty_names;
};

}  // namespace fodns::dns
