// ZoneContent: one zone as stored, ready for validation or for the snapshot builder.
#pragma once

#include <cstdint>
#include <vector>

#include "dns/rr.h"

namespace fodns::dns {

struct ZoneContent {
  Bytes origin;          // lowercase wire name of the apex
  uint32_t serial = 0;   // the served serial; the SOA in `rrs` carries it too
  std::vector<Rr> rrs;   // every record, SOA included
};

}  // namespace fodns::dns
