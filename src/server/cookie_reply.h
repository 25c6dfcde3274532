// The parts of a UDP reply that cookies and rate limiting add or replace: the
// COOKIE option appended to a response's OPT, and the small reply sent instead
// of a rate-limited response (TC=1, or BADCOOKIE for a client that sent a
// cookie). Pure functions on the caller's buffer: any thread, no allocation.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dns/query.h"

namespace fodns::server {

/// Appends a COOKIE option (the query's client cookie and `server_cookie`, 16 bytes)
/// to the OPT RR that ends the `len`-byte response in `out`; `out` must have
/// dns::kCookieOptionSize bytes of room after it (the responder reserved them).
/// @return the new length; `len` unchanged if the response ends with no empty OPT.
size_t append_cookie(const dns::Query& q, const uint8_t* server_cookie, uint8_t* out, size_t len);

/// The reply to a query whose response was rate-limited but slipped (RFC 7873 §5.2.3,
/// BCP 140): to a query that carried a server cookie we did not accept (`server_cookie`,
/// a fresh one, not null), BADCOOKIE with the fresh cookie, so that the client retries over
/// UDP with it and is no longer limited; otherwise header and question with TC=1, so that
/// it retries over TCP. Never longer than the query: no amplification.
size_t slip_reply(const dns::Query& q, bool question_ok, const uint8_t* server_cookie, uint8_t* out);

}  // namespace fodns::server
