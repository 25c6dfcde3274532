// RateLimiter: response rate limiting (BCP 140, as Knot, NSD and BIND do it).
// Responses are accounted per client prefix (/24, /56 by default) and per
// response class and name (zone::ResponseClass: positive per qname and qtype,
// NXDOMAIN per zone, errors per prefix, referrals per cut, wildcard answers per
// wildcard), each key with a token bucket of `rate` responses a second and a
// burst of one second's worth. Over the rate, every `slip`-th response is sent as
// a minimal TC=1 reply (a real resolver retries over TCP), the rest are dropped.
//
// Threading: one RateLimiter per worker, used only on that worker's thread. No
// lock and no table is shared: each worker has its own SO_REUSEPORT socket and the
// kernel hashes a source address and port to one socket, so a flooding source is
// accounted by one worker (a source spread over ports can reach every worker; each
// then lets its own `rate` through, which bounds it at threads × rate).
// The table is fixed-size (allocated once at start): no allocation per query.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/result.h"
#include "xfr/transfer_data.h"
#include "zone/responder.h"

namespace fodns::server {

// Per prefix, class and name. NSD's default is 200; ours is lower because a key here is
// one name (and type) while a resolver farm behind one /24 asks a name about once per TTL.
inline constexpr uint32_t kDefaultRrlRate = 100;
inline constexpr uint32_t kDefaultRrlSlip = 2;

struct RrlConfig {
  uint32_t rate = kDefaultRrlRate;  // responses per second per key; 0 = off
  uint32_t slip = kDefaultRrlSlip;  // 0: drop every limited response; 1: slip all; N: one in N
  int ipv4_prefix = 24;
  int ipv6_prefix = 56;
  std::vector<xfr::AclRule> exempt;  // never limited; default: loopback
  size_t buckets = size_t{1} << 16;  // a power of two; per worker
};

/// Parses --rrl-exempt values: prefixes, or "none" alone for no exemption.
Result<std::vector<xfr::AclRule>> parse_rrl_exempt(const std::vector<std::string>& values);
/// 127.0.0.0/8 and ::1/128: the default, so local tools and tests are never limited.
std::vector<xfr::AclRule> loopback_exempt();
/// The defaults of `fodns serve`: on, loopback exempt.
inline RrlConfig default_rrl_config() {
  RrlConfig c;
  c.exempt = loopback_exempt();
  return c;
}

enum class RrlAction : uint8_t { Send, Slip, Drop };

/// A prefix that is or was being limited, as the log lines report it.
struct RrlEpisode {
  std::string prefix;  // "192.0.2.0/24"
  bool started = false;  // true: "started being limited"; false: "stopped"
  uint64_t limited = 0, slipped = 0;
};

class RateLimiter {
 public:
  explicit RateLimiter(RrlConfig config);
  bool enabled() const { return config_.rate > 0; }
  bool exempt(const sockaddr* peer) const;

  /// Accounts one UDP response to `peer` at `now_ms` (any monotonic millisecond clock).
  /// `name` is the lowercase wire name the class is keyed by.
  RrlAction account(const sockaddr* peer, zone::ResponseClass cls, uint16_t qtype,
                    const uint8_t* name, size_t name_len, uint64_t now_ms);

  /// Prefixes that started or stopped being limited since the last call: at most one
  /// "started" line per prefix per minute, and its "stopped" line once the prefix has
  /// been quiet for kQuietMs. Called from the worker's timer, off the answer path.
  void collect_episodes(uint64_t now_ms, std::vector<RrlEpisode>* out);

  static constexpr uint64_t kQuietMs = 5000;
  static constexpr uint64_t kLogEveryMs = 60000;

 private:
  struct Bucket {
    uint32_t tag = 0;       // high hash bits; 0 = empty
    uint32_t stamp_ms = 0;  // last refill, low 32 bits of the clock
    int64_t credit = 0;     // in thousandths of a response
  };
  struct PrefixKey {
    uint8_t family = 0;  // AF_INET or AF_INET6 (v4-mapped counts as IPv4)
    uint8_t len = 0;
    uint8_t addr[16] = {};
  };
  // One per limited prefix, for the log lines only (the buckets do the limiting).
  struct Episode {
    PrefixKey prefix;
    bool active = false, logged = false, ever_logged = false;
    uint64_t last_limited_ms = 0, last_log_ms = 0;
    uint64_t limited = 0, slipped = 0;
  };
  static constexpr size_t kEpisodes = 1024;

  PrefixKey prefix_of(const sockaddr* peer) const;
  void note_limited(const PrefixKey& p, uint64_t h, bool slipped, uint64_t now_ms);

  RrlConfig config_;
  uint64_t seed_;
  uint64_t slip_count_ = 0;
  std::unique_ptr<Bucket[]> buckets_;
  std::unique_ptr<Episode[]> episodes_;
};

}  // namespace fodns::server
