// TcpAddressLimit: how many TCP connections one client address may hold open,
// counted across every worker (SO_REUSEPORT spreads one client's connections
// over all of them). IPv6 clients are counted by their /64, which one host
// usually holds whole. The table is a fixed array of atomic counters indexed by
// a keyed hash: no allocation, no lock. Two addresses that land in one bucket
// share its limit; with 65536 buckets and a key drawn at startup an attacker
// cannot choose to share a bucket with a given victim.
// Threading: acquire() and release() from any worker thread; construct before
// the workers start.
#pragma once

#include <sys/socket.h>

#include <array>
#include <atomic>
#include <cstdint>

namespace fodns::server {

class TcpAddressLimit {
 public:
  static constexpr uint32_t kNoBucket = UINT32_MAX;

  /// `per_address` 0: no limit.
  explicit TcpAddressLimit(uint32_t per_address);

  /// Charges one connection to `peer`'s bucket and returns it (for release()),
  /// or kNoBucket with `*refused` set when the address is at its limit.
  /// Without a limit, or for an unknown family, nothing is charged (kNoBucket).
  uint32_t acquire(const sockaddr* peer, bool* refused);
  void release(uint32_t bucket);

  uint32_t per_address() const { return per_address_; }
  /// Connections charged to `peer`'s bucket now (for tests).
  uint32_t count(const sockaddr* peer) const;

 private:
  static constexpr uint32_t kBuckets = 1u << 16;
  uint32_t bucket_of(const sockaddr* peer) const;

  uint32_t per_address_;
  uint64_t key_;
  std::array<std::atomic<uint32_t>, kBuckets> counts_{};
};

}  // namespace fodns::server
