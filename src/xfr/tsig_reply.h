// The reply to a request whose TSIG did not verify (RFC 8945 §5.2), for both
// the transfer path (outgoing.cc) and signed queries (signed_query.cc).
// Threading: pure function.
#pragma once

#include <cstdint>
#include <vector>

#include "xfr/tsig.h"

namespace fodns::xfr {

/// Turns `m`, a reply's header and question (RCODE 0), into the error reply
/// for `check` (status FormErr, BadKey, BadSig or BadTime): FORMERR unsigned;
/// BADKEY/BADSIG unsigned with NOTAUTH and the error in a TSIG RR; BADTIME
/// signed, with our clock in Other Data so the client can see the skew.
void make_tsig_error_reply(std::vector<uint8_t>& m, const TsigCheck& check, uint64_t now);

}  // namespace fodns::xfr
