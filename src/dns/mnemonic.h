// Mnemonics of DNS numbers (RFC 1035, 6895, 8490) as logs and metric labels
// show them: one table per number space, next to nothing but itself.
// Threading: pure functions.
#pragma once

#include <cstdint>

#include "dns/query.h"

namespace fodns::dns {

/// "A", "AAAA", "SRV" ...; null for a type without a mnemonic here.
const char* type_name(uint16_t type);
/// "NOERROR" .. "DSOTYPENI" (0-11), "BADVERS" (16); null otherwise.
const char* rcode_name(uint16_t rcode);
/// The `reason` label of fodns_dns_malformed_total: "short_header", "bad_opt" ...
const char* malformed_name(Malformed why);

}  // namespace fodns::dns
