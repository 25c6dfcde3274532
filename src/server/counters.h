// WorkerCounters: per-worker DNS counters. Each worker is the only writer of
// its own block (no atomic read-modify-write, no shared cache lines on the
// query path); the metrics endpoint reads all blocks with relaxed loads and
// sums them at scrape time.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>

#include "dns/mnemonic.h"
#include "dns/query.h"
#include "xfr/outgoing.h"

namespace fodns::server {

using Counter = std::atomic<uint64_t>;

/// Single-writer increment: a plain load and store, no locked instruction.
inline void bump(Counter& c, uint64_t by = 1) {
  c.store(c.load(std::memory_order_relaxed) + by, std::memory_order_relaxed);
}

enum class Transport : uint8_t { Udp = 0, Tcp = 1 };

/// Query types counted by name; everything else is "other".
inline constexpr std::array<uint16_t, 12> kCountedQtypes = {1, 2, 5, 6, 12, 15, 16, 28, 33, 35, 43, 255};
inline constexpr size_t kQtypeOther = kCountedQtypes.size();

/// The `qtype` label of a bucket: the type's mnemonic, "other" for kQtypeOther.
inline const char* qtype_bucket_name(size_t bucket) {
  return bucket < kCountedQtypes.size() ? dns::type_name(kCountedQtypes[bucket]) : "other";
}

inline size_t qtype_bucket(uint16_t qtype) {
  for (size_t i = 0; i < kCountedQtypes.size(); ++i)
    if (kCountedQtypes[i] == qtype) return i;
  return kQtypeOther;
}

struct alignas(64) WorkerCounters {
  std::array<Counter, 2> queries{};                               // by Transport
  std::array<Counter, kCountedQtypes.size() + 1> qtypes{};        // by qtype_bucket
  std::array<Counter, 17> rcodes{};                               // 0..15, 16 = BADVERS
  std::array<Counter, static_cast<size_t>(dns::Malformed::kCount)> malformed{};
  Counter truncated{0};
  Counter dropped_send{0};      // reply could not be sent (socket buffer full)
  Counter response_bytes{0};
  Counter responses{0};
  Counter tcp_open{0};          // gauge: this worker's open TCP connections
  Counter tcp_accepted{0};
  Counter tcp_refused{0};       // over the connection limit
  Counter tcp_idle_closed{0};
  std::array<Counter, static_cast<size_t>(xfr::TransferOutcome::kCount)> transfers{};  // by outcome
};

}  // namespace fodns::server
