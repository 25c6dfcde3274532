// StatusBoard: what the control loop knows, published for the HTTP thread.
// The control loop builds a new immutable StatusData after every change (and
// at least once a second) and publishes it with one pointer swap under a
// mutex; the HTTP thread takes the pointer and renders from it, so a scrape
// never touches SQLite, the probes or a DNS worker.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/histogram.h"

namespace fodns::status {

/// Probe checks by result, indexed by probes::Outcome (app/backend_monitor.cc
/// checks the size; probes::outcome_name() gives the `result` label).
inline constexpr size_t kOutcomeCount = 7;
using CheckCounts = std::array<uint64_t, kOutcomeCount>;

/// Upper bounds (seconds) of the probe RTT histogram buckets; +Inf is implied.
inline constexpr std::array<double, 10> kRttBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01,
                                                       0.025,  0.05,  0.1,    0.25,  0.5};
/// Upper bounds (seconds) of the snapshot rebuild histogram buckets.
inline constexpr std::array<double, 8> kRebuildBuckets = {0.001, 0.005, 0.01, 0.05,
                                                          0.1,   0.5,   1,    5};

using Histogram = fodns::Histogram;

struct BackendStatus {
  int64_t id = 0;
  std::string name;
  std::string address;
  int port = 0;
  std::string probe;      // sip-options | icmp | tcp
  std::string transport;  // udp | tcp
  std::string state;      // unknown | up | down
  bool drained = false;
  std::string drain_reason;
  int64_t since_ms = 0;
  int64_t last_check_ms = 0;
  int64_t last_rtt_us = -1;
  std::string last_result;
  std::string last_error;
  int successes = 0;
  int failures = 0;
  CheckCounts checks{};                          // by probes::Outcome
  Histogram rtt;                                 // seconds, buckets kRttBuckets
  uint64_t failovers_down = 0;                   // transitions to down since start
  uint64_t failovers_up = 0;                     // transitions to up since start
};

struct ZoneStatus {
  std::string name;
  uint32_t serial = 0;
  uint64_t records_stored = 0;
  uint64_t records_served = 0;
  uint64_t notify_sent = 0;
  uint64_t notify_answered = 0;
  uint64_t notify_gave_up = 0;
};

struct StatusData {
  std::vector<BackendStatus> backends;
  std::vector<ZoneStatus> zones;
  bool snapshot_loaded = false;
  int64_t snapshot_published_ms = 0;  // unix ms
  uint64_t snapshot_generation = 0;
  uint64_t rebuilds = 0;
  Histogram rebuild_seconds;          // buckets kRebuildBuckets
  uint64_t probe_rounds = 0;
  uint64_t probe_rounds_skipped = 0;
  bool listeners_up = false;
  std::string not_ready_reason;       // for /healthz when not ready
  // Serving, but not as it should (/healthz stays 200, says why): see DatabaseWatch.
  bool database_readable = true;
  int64_t database_last_good_read_ms = 0;  // unix ms; 0 before the first read
  std::string degraded_reason;             // "" when not degraded
};

class StatusBoard {
 public:
  void publish(std::shared_ptr<const StatusData> d) {
    std::lock_guard lock(mu_);
    data_ = std::move(d);
  }
  std::shared_ptr<const StatusData> get() const {
    std::lock_guard lock(mu_);
    return data_;
  }

 private:
  mutable std::mutex mu_;
  std::shared_ptr<const StatusData> data_;
};

}  // namespace fodns::status
