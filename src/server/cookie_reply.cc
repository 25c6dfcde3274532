#include "server/cookie_reply.h"

#include <cstring>

#include "dns/cookie.h"
#include "dns/wire.h"
#include "zone/responder.h"

namespace fodns::server {

using dns::put16;

size_t append_cookie(const dns::Query& q, const uint8_t* server_cookie, uint8_t* out, size_t len) {
  if (len < dns::kHeaderSize + dns::kOptRrSize) return len;
  uint8_t* opt = out + len - dns::kOptRrSize;
  // Our responses put the OPT RR last, with no options (zone::respond); anything else
  // (e.g. a FORMERR header alone) gets no cookie.
  if (opt[0] != 0 || dns::get16(opt + 1) != dns::type::kOpt || dns::get16(opt + 9) != 0) return len;
  uint8_t* o = out + len;
  put16(o, dns::kOptionCookie);
  put16(o + 2, dns::kClientCookieSize + dns::kServerCookieSize);
  std::memcpy(o + 4, q.msg + q.cookie_off, dns::kClientCookieSize);
  std::memcpy(o + 4 + dns::kClientCookieSize, server_cookie, dns::kServerCookieSize);
  put16(opt + 9, dns::kCookieOptionSize);
  return len + dns::kCookieOptionSize;
}

size_t slip_reply(const dns::Query& q, bool question_ok, const uint8_t* server_cookie, uint8_t* out) {
  put16(out, q.id);
  out[2] = static_cast<uint8_t>(dns::flag::kQr | (q.opcode << 3) | (q.msg[2] & dns::flag::kRd));
  out[3] = 0;
  std::memset(out + 4, 0, 8);
  size_t len = dns::kHeaderSize;
  if (question_ok) {
    std::memcpy(out + len, q.msg + len, q.question_end - len);
    len = q.question_end;
    put16(out + 4, 1);
  }
  // BADCOOKIE only where it is no larger than the query (a query that sent a server cookie
  // of 16 bytes or more): a slipped reply must never amplify. A client cookie alone gets TC,
  // and learns its server cookie from the TCP answer or from the next unlimited one.
  size_t badcookie_len = len + dns::kOptRrSize + dns::kCookieOptionSize;
  if (!server_cookie || !q.has_edns || !q.cookie_len || badcookie_len > q.len) {
    out[2] |= dns::flag::kTc;
    return len;
  }
  out[3] = dns::kBadCookie & 0x0F;  // the upper 8 bits go in the OPT TTL (RFC 6891 §6.1.3)
  uint8_t* p = out + len;
  p[0] = 0;
  put16(p + 1, dns::type::kOpt);
  put16(p + 3, zone::kUdpPayloadLimit);
  p[5] = static_cast<uint8_t>(dns::kBadCookie >> 4);
  p[6] = 0;
  p[7] = q.edns_do ? 0x80 : 0;
  p[8] = 0;
  put16(p + 9, 0);
  put16(out + 10, 1);
  return append_cookie(q, server_cookie, out, len + dns::kOptRrSize);
}

}  // namespace fodns::server
