#include "dns/cookie.h"

#include <netinet/in.h>

#include <cstring>

#include "dns/wire.h"

namespace fodns::dns {
namespace {

// client cookie | version, reserved, timestamp | address: at most 8 + 8 + 16 bytes.
uint64_t cookie_hash(const uint8_t key[kSipHashKeySize], const uint8_t* client,
                     const uint8_t* stamp, const uint8_t* addr, size_t addr_len) {
  uint8_t buf[kClientCookieSize + 8 + 16];
  std::memcpy(buf, client, kClientCookieSize);
  std::memcpy(buf + kClientCookieSize, stamp, 8);
  std::memcpy(buf + kClientCookieSize + 8, addr, addr_len);
  return siphash24(key, buf, kClientCookieSize + 8 + addr_len);
}

void put_le64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

bool hash_matches(const uint8_t key[kSipHashKeySize], const uint8_t* client, const uint8_t* server,
                  const uint8_t* addr, size_t addr_len) {
  uint8_t expect[8];
  put_le64(expect, cookie_hash(key, client, server, addr, addr_len));
  // Not constant-time: a forger learns nothing usable from timing, since every
  // guess costs a packet and the hash depends on the address it must spoof.
  return std::memcmp(expect, server + 8, 8) == 0;
}

}  // namespace

size_t cookie_address(const sockaddr* peer, const uint8_t** addr) {
  if (peer->sa_family == AF_INET) {
    *addr = reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in*>(peer)->sin_addr);
    return 4;
  }
  if (peer->sa_family == AF_INET6) {
    *addr = reinterpret_cast<const sockaddr_in6*>(peer)->sin6_addr.s6_addr;
    return 16;
  }
  return 0;
}

void make_server_cookie(const uint8_t key[kSipHashKeySize], const uint8_t* client, uint32_t now,
                        const uint8_t* addr, size_t addr_len, uint8_t* out) {
  out[0] = 1;  // version
  out[1] = out[2] = out[3] = 0;
  put32(out + 4, now);
  put_le64(out + 8, cookie_hash(key, client, out, addr, addr_len));
}

CookieVerdict check_cookie(const CookieSecrets& secrets, const uint8_t* option, size_t len,
                           const uint8_t* addr, size_t addr_len, uint32_t now) {
  if (len == kClientCookieSize) return CookieVerdict::ClientOnly;
  const uint8_t* server = option + kClientCookieSize;
  // Only our own format verifies; any other server cookie is simply not ours.
  if (len != kClientCookieSize + kServerCookieSize || server[0] != 1) return CookieVerdict::Invalid;
  // Serial-number arithmetic on the 32-bit timestamp (RFC 9018 §4.3, RFC 1982).
  auto age = static_cast<int32_t>(now - get32(server + 4));
  if (age > kCookieMaxAge || age < -kCookieMaxAhead) return CookieVerdict::Invalid;
  // The Reserved bytes are hashed as received (RFC 9018 §4.2).
  if (hash_matches(secrets.current, option, server, addr, addr_len)) return CookieVerdict::Valid;
  if (secrets.has_previous && hash_matches(secrets.previous, option, server, addr, addr_len))
    return CookieVerdict::Valid;
  return CookieVerdict::Invalid;
}

}  // namespace fodns::dns
