// Target names inside rdata that additional-section processing and health
// governance follow (NS, MX, SRV targets; the NAPTR replacement).
// Threading: pure functions, any thread.
#pragma once

#include <cstddef>

#include "dns/name.h"

namespace fodns::zone {

/// The lowercase name at `off` in `rdata`; empty if there is none or it is malformed.
inline dns::Bytes rdata_name_at(const dns::Bytes& rdata, size_t off) {
  if (off >= rdata.size()) return {};
  size_t l = dns::name_length(rdata.data() + off, rdata.size() - off);
  if (!l) return {};
  dns::Bytes n(rdata.begin() + static_cast<long>(off), rdata.begin() + static_cast<long>(off + l));
  dns::name_lower(n.data(), n.size());
  return n;
}

/// Offset of the target name in rdata of `type` (NS, MX, SRV, CNAME), or -1.
inline int target_offset(uint16_t type) {
  switch (type) {
    case 2: case 5: return 0;  // NS, CNAME
    case 15: return 2;         // MX
    case 33: return 6;         // SRV
    default: return -1;
  }
}

/// The replacement of a NAPTR record (RFC 3403 §4.1); empty if malformed.
inline dns::Bytes naptr_replacement(const dns::Bytes& rdata) {
  size_t off = 4;  // order, preference
  for (int i = 0; i < 3; ++i) {  // flags, services, regexp: <character-string>s
    if (off >= rdata.size()) return {};
    off += 1 + rdata[off];
  }
  return rdata_name_at(rdata, off);
}

}  // namespace fodns::zone
