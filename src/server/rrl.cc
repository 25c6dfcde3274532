#include "server/rrl.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/random.h>

#include <algorithm>
#include <bit>
#include <cstring>

#include <fmt/format.h>

namespace fodns::server {
namespace {

constexpr int64_t kUnit = 1000;  // credit per response: rates are integers, refill is per ms

uint64_t load64(const uint8_t* p, size_t n) {
  uint64_t v = 0;
  std::memcpy(&v, p, n);
  return v;
}

// A multiply-xorshift hash, seeded per process so that which keys share a bucket
// cannot be known in advance. Not cryptographic: a collision only merges two keys'
// budgets; fast enough to run on every UDP response.
uint64_t mix(uint64_t h, uint64_t v) {
  h = (h ^ v) * 0x9E3779B97F4A7C15ULL;
  return h ^ (h >> 29);
}

uint64_t hash_bytes(uint64_t h, const uint8_t* p, size_t n) {
  if (n >= 8) {
    const uint8_t* last = p + n - 8;
    for (; p < last; p += 8) h = mix(h, load64(p, 8));
    // The tail: the last 8 bytes, overlapping the word before (one fixed-size load,
    // not a memcpy call per response).
    return mix(h, load64(last, 8) ^ n);
  }
  uint64_t v = n;
  for (size_t i = 0; i < n; ++i) v = (v << 8) | p[i];
  return mix(h, v);
}

uint64_t random_seed() {
  uint64_t s = 0;
  if (getrandom(&s, sizeof s, GRND_NONBLOCK) != sizeof s) s = reinterpret_cast<uintptr_t>(&s);
  return s | 1;
}

std::string prefix_text(int family, const uint8_t* addr, int len) {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(family, addr, buf, sizeof buf);
  return fmt::format("{}/{}", buf, len);
}

}  // namespace

std::vector<xfr::AclRule> loopback_exempt() {
  std::vector<xfr::AclRule> out;
  for (const char* p : {"127.0.0.0/8", "::1/128"}) out.push_back(*xfr::parse_prefix(p));
  return out;
}

Result<std::vector<xfr::AclRule>> parse_rrl_exempt(const std::vector<std::string>& values) {
  std::vector<xfr::AclRule> out;
  for (const auto& v : values) {
    if (v == "none") {
      if (values.size() != 1) return make_error("'none' cannot be combined with prefixes");
      return out;
    }
    auto rule = xfr::parse_prefix(v);
    if (!rule) return make_error("'{}': {}", v, rule.error().message);
    out.push_back(*rule);
  }
  return out;
}

RateLimiter::RateLimiter(RrlConfig config)
    : config_(std::move(config)), seed_(random_seed()) {
  if (!enabled()) return;
  config_.buckets = std::bit_ceil(std::max<size_t>(config_.buckets, 64));
  buckets_ = std::make_unique<Bucket[]>(config_.buckets);
  episodes_ = std::make_unique<Episode[]>(kEpisodes);
}

bool RateLimiter::exempt(const sockaddr* peer) const {
  return std::any_of(config_.exempt.begin(), config_.exempt.end(),
                     [peer](const xfr::AclRule& r) { return xfr::prefix_matches(r, peer); });
}

RateLimiter::PrefixKey RateLimiter::prefix_of(const sockaddr* peer) const {
  PrefixKey k;
  const uint8_t* a = nullptr;
  if (peer->sa_family == AF_INET) {
    a = reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in*>(peer)->sin_addr);
    k.family = AF_INET;
  } else if (peer->sa_family == AF_INET6) {
    const auto* s6 = reinterpret_cast<const sockaddr_in6*>(peer);
    bool mapped = IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr);
    a = s6->sin6_addr.s6_addr + (mapped ? 12 : 0);
    k.family = mapped ? AF_INET : AF_INET6;
  } else {
    return k;
  }
  int bits = k.family == AF_INET ? config_.ipv4_prefix : config_.ipv6_prefix;
  k.len = static_cast<uint8_t>(bits);
  for (int i = 0; i < bits / 8; ++i) k.addr[i] = a[i];
  if (bits % 8) k.addr[bits / 8] = static_cast<uint8_t>(a[bits / 8] & (0xFF00 >> (bits % 8)));
  return k;
}

RrlAction RateLimiter::account(const sockaddr* peer, zone::ResponseClass cls, uint16_t qtype,
                               const uint8_t* name, size_t name_len, uint64_t now_ms) {
  PrefixKey p = prefix_of(peer);
  // IPv4 (the common case) hashes one word; IPv6 its 16 bytes.
  uint64_t ph = p.family == AF_INET ? mix(seed_, load64(p.addr, 4) | uint64_t{AF_INET} << 32)
                                    : hash_bytes(seed_ ^ p.family, p.addr, 16);
  uint64_t h = mix(ph, static_cast<uint64_t>(cls) << 16 |
                           (cls == zone::ResponseClass::Positive || cls == zone::ResponseClass::NoData
                                ? qtype : 0));
  if (cls != zone::ResponseClass::Error) h = hash_bytes(h, name, name_len);  // errors: per prefix

  Bucket& b = buckets_[h & (config_.buckets - 1)];
  auto tag = static_cast<uint32_t>(h >> 32) | 1;
  auto now32 = static_cast<uint32_t>(now_ms);
  const int64_t burst = int64_t{config_.rate} * kUnit;  // one second's worth
  if (b.tag != tag) {
    // A new key (or a colliding one that takes the slot over) starts with a full burst.
    b.tag = tag;
    b.credit = burst;
  } else {
    int64_t elapsed = static_cast<uint32_t>(now32 - b.stamp_ms);
    b.credit = std::min(burst, b.credit + elapsed * config_.rate);
  }
  b.stamp_ms = now32;
  if (b.credit >= kUnit) {
    b.credit -= kUnit;
    return RrlAction::Send;
  }
  bool slip = config_.slip != 0 && ++slip_count_ % config_.slip == 0;
  note_limited(p, ph, slip, now_ms);
  return slip ? RrlAction::Slip : RrlAction::Drop;
}

void RateLimiter::note_limited(const PrefixKey& p, uint64_t h, bool slipped, uint64_t now_ms) {
  Episode& e = episodes_[h % kEpisodes];
  if (std::memcmp(&e.prefix, &p, sizeof p) != 0) {
    // Another prefix holds this slot: take it over only once its episode is reported.
    if (e.active || e.logged) return;
    e = Episode{};
    e.prefix = p;
  }
  e.active = true;
  e.last_limited_ms = now_ms;
  ++e.limited;
  if (slipped) ++e.slipped;
}

void RateLimiter::collect_episodes(uint64_t now_ms, std::vector<RrlEpisode>* out) {
  if (!episodes_) return;
  for (size_t i = 0; i < kEpisodes; ++i) {
    Episode& e = episodes_[i];
    if (!e.active) continue;
    if (!e.logged && (!e.ever_logged || now_ms - e.last_log_ms >= kLogEveryMs)) {
      out->push_back({prefix_text(e.prefix.family, e.prefix.addr, e.prefix.len), true, e.limited,
                      e.slipped});
      e.logged = e.ever_logged = true;
      e.last_log_ms = now_ms;
    }
    if (now_ms - e.last_limited_ms >= kQuietMs) {
      if (e.logged)
        out->push_back({prefix_text(e.prefix.family, e.prefix.addr, e.prefix.len), false,
                        e.limited, e.slipped});
      // Counts restart with the next episode; last_log_ms stays, for the once-a-minute rule.
      e.active = e.logged = false;
      e.limited = e.slipped = 0;
    }
  }
}

}  // namespace fodns::server
