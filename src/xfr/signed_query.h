// Ordinary queries signed with TSIG: secondaries sign their SOA checks with
// the transfer key (Knot DNS and NSD do), and reject an unsigned answer. The
// answer comes from the responder as usual and is then signed; a query that
// fails verification gets NOTAUTH with the TSIG error (RFC 8945 §5.2).
// Runs on a DNS worker; only queries that carry a TSIG RR come here.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dns/query.h"
#include "xfr/transfer_data.h"
#include "zone/responder.h"
#include "zone/zone_snapshot.h"

namespace fodns::xfr {

/// As zone::respond, for a query that carries a TSIG RR; `now` in unix seconds.
size_t respond_signed(const dns::Query& q, const zone::ZoneSnapshot* snap, bool tcp, uint8_t* out,
                      zone::ResponseInfo* info, uint64_t now);

}  // namespace fodns::xfr
