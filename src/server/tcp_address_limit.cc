#include "server/tcp_address_limit.h"

#include <netinet/in.h>

#include <cstring>
#include <random>

namespace fodns::server {
namespace {

// A 64-bit finalizer (splitmix64): every input bit moves every output bit.
uint64_t mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

}  // namespace

TcpAddressLimit::TcpAddressLimit(uint32_t per_address)
    : per_address_(per_address), key_((uint64_t{std::random_device{}()} << 32) | std::random_device{}()) {}

uint32_t TcpAddressLimit::bucket_of(const sockaddr* peer) const {
  uint64_t x = 0;
  if (peer->sa_family == AF_INET) {
    uint32_t a = 0;
    std::memcpy(&a, &reinterpret_cast<const sockaddr_in*>(peer)->sin_addr, 4);
    x = mix(key_ ^ a);
  } else if (peer->sa_family == AF_INET6) {
    uint64_t prefix = 0;  // the /64
    std::memcpy(&prefix, &reinterpret_cast<const sockaddr_in6*>(peer)->sin6_addr, 8);
    x = mix(mix(key_ ^ 6) ^ prefix);
  } else {
    return kNoBucket;
  }
  return static_cast<uint32_t>(x & (kBuckets - 1));
}

uint32_t TcpAddressLimit::acquire(const sockaddr* peer, bool* refused) {
  *refused = false;
  if (per_address_ == 0) return kNoBucket;
  uint32_t b = bucket_of(peer);
  if (b == kNoBucket) return kNoBucket;
  // Once per connection, not per query: an atomic add is fine here.
  if (counts_[b].fetch_add(1, std::memory_order_relaxed) >= per_address_) {
    counts_[b].fetch_sub(1, std::memory_order_relaxed);
    *refused = true;
    return kNoBucket;
  }
  return b;
}

void TcpAddressLimit::release(uint32_t bucket) {
  if (bucket != kNoBucket) counts_[bucket].fetch_sub(1, std::memory_order_relaxed);
}

uint32_t TcpAddressLimit::count(const sockaddr* peer) const {
  uint32_t b = bucket_of(peer);
  return b == kNoBucket ? 0 : counts_[b].load(std::memory_order_relaxed);
}

}  // namespace fodns::server
