// Process-wide probe counters, read by the metrics endpoint and by tests.
// Probes run on the control loop only, but the counters may be read from
// another thread (HTTP), hence relaxed atomics: each counter is independent.
#pragma once

#include <atomic>
#include <cstdint>

#include "probes/probe.h"

namespace fodns::probes {

inline constexpr int kKinds = 3;  // Kind::SipOptions, Icmp, Tcp

struct ProbeMetrics {
  // Checks are counted per backend by app::BackendMonitor (fodns_probe_checks_total).
  /// fodns_probe_garbage_total{kind}: received bytes that are no SIP response
  /// at all (unparseable datagram, broken TCP framing), or for ICMP a packet
  /// too short to be an echo reply. Ignored, the run goes on.
  std::atomic<uint64_t> garbage[kKinds]{};
  /// fodns_probe_unmatched_total{kind}: well-formed responses (or ICMP
  /// replies) that are not for the request in flight: wrong Via branch,
  /// Call-ID, CSeq, ICMP seq or cookie. Ignored, the run goes on.
  std::atomic<uint64_t> unmatched[kKinds]{};
  /// fodns_probe_provisional_total: SIP 1xx responses seen (ignored).
  std::atomic<uint64_t> provisional{0};
  /// fodns_probe_retransmissions_total: UDP OPTIONS retransmitted (Timer A).
  std::atomic<uint64_t> retransmissions{0};

  void count_garbage(Kind k) { garbage[static_cast<int>(k)].fetch_add(1, std::memory_order_relaxed); }
  void count_unmatched(Kind k) { unmatched[static_cast<int>(k)].fetch_add(1, std::memory_order_relaxed); }
  uint64_t get_garbage(Kind k) const { return garbage[static_cast<int>(k)].load(std::memory_order_relaxed); }
  uint64_t get_unmatched(Kind k) const { return unmatched[static_cast<int>(k)].load(std::memory_order_relaxed); }
};

/// The one instance for the process.
ProbeMetrics& probe_metrics();

}  // namespace fodns::probes
