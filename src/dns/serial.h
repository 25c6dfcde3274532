// SOA serial arithmetic per RFC 1982 (SERIAL_BITS = 32).
#pragma once

#include <cstdint>

namespace fodns::dns {

/// s1 < s2 in sequence-space arithmetic. Undefined pairs (exactly 2^31 apart) compare false.
inline bool serial_lt(uint32_t s1, uint32_t s2) {
  return s1 != s2 && static_cast<uint32_t>(s2 - s1) < 0x80000000u;
}

/// The next serial after `s` (addition modulo 2^32, RFC 1982 §3.1).
inline uint32_t serial_next(uint32_t s) { return s + 1; }

/// The serial to serve when `wanted` (e.g. from an imported file) replaces `served`:
/// never move backward, so that secondaries notice the change.
inline uint32_t serial_forward(uint32_t served, uint32_t wanted) {
  return serial_lt(served, wanted) ? wanted : serial_next(served);
}

}  // namespace fodns::dns
