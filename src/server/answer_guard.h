// AnswerGuard: what stands between a response and the open internet on the UDP
// path: DNS cookies (RFC 7873, RFC 9018 server cookies) and response rate
// limiting (RateLimiter). Worker::answer calls check() after parsing and
// finish() after the responder wrote the response.
//
// RFC 7873 §5.2 as implemented: a malformed COOKIE option is FORMERR (dns::parse_query);
// a client cookie alone, or a server cookie that is not ours, not for this address or
// expired, gets a normal answer with a fresh server cookie, rate-limited like a query
// without cookies (BADCOOKIE only as the slipped reply of a limited one that sent a
// server cookie, §5.2.3: the client learns the new cookie and retries; a slipped reply to
// a client cookie alone is TC=1, as BADCOOKIE would be larger than the query); a valid
// server cookie proves the source
// address, so its answers are never rate-limited. Over TCP (§5.2.3: TCP already proves
// the address) cookies are answered but nothing is limited. TSIG-signed queries get no
// cookie back: the option would have to go before the TSIG RR the signer writes last.
//
// Threading: one per worker, on that worker's thread only; the secrets are copied in by
// the worker's async callback (CookieBoard).
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>

#include "dns/cookie.h"
#include "dns/query.h"
#include "server/counters.h"
#include "server/rrl.h"
#include "zone/responder.h"

namespace fodns::server {

class AnswerGuard {
 public:
  AnswerGuard(RrlConfig rrl, WorkerCounters& counters);

  void set_secrets(const dns::CookieSecrets& s) {
    secrets_ = s;
    cookies_on_ = true;
  }
  RateLimiter& limiter() { return rrl_; }

  /// After parsing: classifies the COOKIE option and reserves room for ours.
  void check(dns::Query& q, const sockaddr* peer);
  /// After responding: adds the cookie, then applies rate limiting over UDP.
  /// @return the length to send (0: drop).
  size_t finish(const dns::Query& q, bool question_ok, const zone::ResponseInfo& info,
                bool udp, const sockaddr* peer, uint64_t now_ms, uint8_t* out, size_t len);

 private:
  RateLimiter rrl_;
  WorkerCounters& counters_;
  dns::CookieSecrets secrets_;
  bool cookies_on_ = false;
  // Per query, set by check() for finish().
  dns::CookieVerdict verdict_ = dns::CookieVerdict::None;
  uint8_t server_cookie_[dns::kServerCookieSize] = {};
};

}  // namespace fodns::server
