// respond(): turns a parsed query into a response, from a snapshot only.
// This is the per-query path: no allocation, no locks, no logging, no I/O.
// The body comes precompiled from the snapshot; this copies the header and
// the client's question, relocates compression pointers when the qname is
// not the template name, and adds the OPT record (RFC 6891).
#pragma once

#include <cstddef>
#include <cstdint>

#include "dns/query.h"
#include "zone/zone_snapshot.h"

namespace fodns::zone {

/// What a response is, for response rate limiting (BCP 140 classes, as Knot/NSD/BIND count them).
enum class ResponseClass : uint8_t { Positive, NoData, NxDomain, Referral, Wildcard, Error, kCount };

struct ResponseInfo {
  uint16_t rcode = 0;      // extended RCODE (16 = BADVERS)
  bool truncated = false;
  bool answered = false;   // false: drop, send nothing
  ResponseClass rclass = ResponseClass::Error;
  // The name a class is accounted per, as an offset into q.qname_lower (always a suffix of the
  // qname): the qname for answers, the zone apex for NXDOMAIN, the wildcard's parent, the cut.
  uint8_t key_off = 0;
};

/// Our own EDNS UDP payload limit; answers over UDP never exceed it.
inline constexpr size_t kUdpPayloadLimit = 1232;

/// Writes our OPT RR (payload kUdpPayloadLimit, the query's DO bit) at `p`; returns its size.
size_t write_opt(const dns::Query& q, uint8_t* p, uint8_t ext_rcode);

/// The largest UDP reply `q` may get: its EDNS size within [512, kUdpPayloadLimit], else 512.
size_t udp_reply_limit(const dns::Query& q);

/// Writes the response to `out` (capacity at least 65535 bytes for TCP,
/// kUdpPayloadLimit for UDP) and returns its length; 0 means "send nothing".
size_t respond(const dns::Query& q, dns::ParseResult parsed, const ZoneSnapshot* snap, bool tcp,
               uint8_t* out, ResponseInfo* info);

}  // namespace fodns::zone
