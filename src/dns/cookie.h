// DNS cookies (RFC 7873) with the interoperable server cookie of RFC 9018:
// Version 1 | Reserved (3) | Timestamp (4) | SipHash-2-4 (8), the hash taken over
// client cookie | version | reserved | timestamp | client address. Pure functions
// over caller-owned buffers, no allocation: any thread, the per-query path included.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>

#include "dns/siphash.h"

namespace fodns::dns {

inline constexpr uint16_t kOptionCookie = 10;  // EDNS option code (RFC 7873 §4)
inline constexpr size_t kClientCookieSize = 8;
inline constexpr size_t kServerCookieSize = 16;  // what we send (RFC 9018 §4)
inline constexpr size_t kMinServerCookie = 8, kMaxServerCookie = 32;  // what a client may send
inline constexpr size_t kCookieOptionSize = 4 + kClientCookieSize + kServerCookieSize;
inline constexpr uint16_t kBadCookie = 23;  // extended RCODE (RFC 7873 §8)
// RFC 9018 §4.3: a cookie stamped more than an hour ago or more than five
// minutes ahead (clock skew between instances sharing a secret) is not valid.
inline constexpr int32_t kCookieMaxAge = 3600, kCookieMaxAhead = 300;

/// The secrets a server verifies with: cookies are made with `current`; during a
/// rollover (`fodns cookie rotate`) those made with `previous` still verify.
struct CookieSecrets {
  uint8_t current[kSipHashKeySize] = {};
  uint8_t previous[kSipHashKeySize] = {};
  bool has_previous = false;
};

/// What a query's COOKIE option amounts to (RFC 7873 §5.2).
enum class CookieVerdict : uint8_t {
  None,        // no COOKIE option
  ClientOnly,  // a client cookie alone (§5.2.3)
  Invalid,     // a server cookie we did not make, made for another address, or expired (§5.2.4)
  Valid,       // a server cookie we made for this client and address (§5.2.5)
};

/// True if an option of `len` bytes has a legal length: 8 (client cookie only)
/// or 16..40 (client + 8..32 bytes of server cookie); others are FORMERR (§5.2.2).
inline bool cookie_length_ok(size_t len) {
  return len == kClientCookieSize ||
         (len >= kClientCookieSize + kMinServerCookie && len <= kClientCookieSize + kMaxServerCookie);
}

/// The client address as hashed: 4 bytes for IPv4, 16 for IPv6. @return its length, 0 if
/// the family is neither.
size_t cookie_address(const sockaddr* peer, const uint8_t** addr);

/// Writes our 16-byte server cookie for `client` (8 bytes) at time `now` (Unix seconds).
void make_server_cookie(const uint8_t key[kSipHashKeySize], const uint8_t* client, uint32_t now,
                        const uint8_t* addr, size_t addr_len, uint8_t* out);

/// Classifies a COOKIE option's data (`len` already passed cookie_length_ok).
CookieVerdict check_cookie(const CookieSecrets& secrets, const uint8_t* option, size_t len,
                           const uint8_t* addr, size_t addr_len, uint32_t now);

}  // namespace fodns::dns
