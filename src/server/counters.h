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
#include "zone/responder.h"

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

// One table load per query instead of a search of kCountedQtypes (it runs on every query).
inline constexpr std::array<uint8_t, 256> kQtypeBuckets = [] {
  std::array<uint8_t, 256> t{};
  t.fill(static_cast<uint8_t>(kQtypeOther));
  for (size_t i = 0; i < kCountedQtypes.size(); ++i) t[kCountedQtypes[i]] = static_cast<uint8_t>(i);
  return t;
}();

/// The `qtype` label of a bucket: the type's mnemonic, "other" for kQtypeOther.
inline const char* qtype_bucket_name(size_t bucket) {
  return bucket < kCountedQtypes.size() ? dns::type_name(kCountedQtypes[bucket]) : "other";
}

inline size_t qtype_bucket(uint16_t qtype) { return qtype < 256 ? kQtypeBuckets[qtype] : kQtypeOther; }

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
  std::array<Counter, 2> tcp_refused{};  // by TcpSlots::Refusal: per_address, full
  Counter tcp_idle_closed{0};
  Counter tcp_io_timeout{0};    // a message not read, or a reply not taken, within --tcp-io-timeout
  Counter tcp_evicted{0};       // closed, longest idle first, to make room for a new one
  std::array<Counter, static_cast<size_t>(xfr::TransferOutcome::kCount)> transfers{};  // by outcome
  // Response rate limiting, by zone::ResponseClass: responses over the rate (dropped or
  // slipped) and those of them sent as a TC=1 or BADCOOKIE reply.
  std::array<Counter, static_cast<size_t>(zone::ResponseClass::kCount)> rrl_limited{};
  std::array<Counter, static_cast<size_t>(zone::ResponseClass::kCount)> rrl_slipped{};
  std::array<Counter, 4> cookies{};  // queries with a COOKIE option, by dns::CookieVerdict
};

}  // namespace fodns::server
