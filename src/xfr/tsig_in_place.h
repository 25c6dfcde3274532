// TSIG on the answer path without copies (issue 13): a signed query is verified
// where it lies, from the TSIG offset the query parser recorded, and the reply
// is signed where the responder wrote it. The HMAC runs on two digest contexts
// kept per thread with digests fetched once, so neither message is copied; what
// allocation is left is OpenSSL 3.0's own, one per digest init: 4 per signed
// query, where the general path took 53 (valgrind, hmac-sha256). Errors (BADKEY,
// BADSIG, BADTIME, FORMERR) are rare and take the general path in tsig.h.
// Threading: any thread; the digest contexts are thread_local.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "dns/query.h"
#include "xfr/tsig.h"

namespace fodns::xfr {

/// What a verified query's TSIG gives its reply: the key and the request MAC,
/// which points into the query message.
struct TsigVerified {
  TsigStatus status = TsigStatus::FormErr;
  const TsigKey* key = nullptr;
  const uint8_t* mac = nullptr;
  size_t mac_len = 0;
};

/// Verifies the TSIG RR at `q.tsig_offset` against `keys` at `now` (unix seconds).
TsigVerified verify_in_place(const dns::Query& q, std::span<const TsigKey> keys, uint64_t now);

/// Bytes sign_in_place() appends for `key`.
size_t tsig_rr_size(const TsigKey& key);

/// Signs the reply `msg[0, len)` to a request whose MAC was `request_mac`, appending
/// the TSIG RR at msg + len (room for tsig_rr_size(key) bytes is the caller's) and
/// incrementing ARCOUNT. @return the new length.
size_t sign_in_place(uint8_t* msg, size_t len, const TsigKey& key,
                     std::span<const uint8_t> request_mac, uint64_t now);

}  // namespace fodns::xfr
