// SipHash-2-4 (Aumasson & Bernstein, 2012), the keyed hash RFC 9018 uses for
// interoperable DNS server cookies. Pure function, no state: any thread.
#pragma once

#include <cstddef>
#include <cstdint>

namespace fodns::dns {

inline constexpr size_t kSipHashKeySize = 16;

/// SipHash-2-4 of `len` bytes at `data` under the 128-bit `key`; the 64-bit
/// result is returned as the reference implementation writes it (little-endian
/// bytes of the return value).
uint64_t siphash24(const uint8_t key[kSipHashKeySize], const uint8_t* data, size_t len);

}  // namespace fodns::dns
