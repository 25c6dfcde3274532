// Sampled per-query logging (`fodns serve --log-queries RATE`). A worker calls
// QuerySampler::due() for every query: with sampling off that is one compare of a member
// that never changes; when on, a countdown. Only a sampled query is formatted, into a stack
// buffer, and written as one log line (one write(2)):
//   ts=... level=info msg="query" client=192.0.2.1:53211 qname=sip.example.net. qtype=A
//   rcode=NOERROR transport=udp worker=0
// Threading: one QuerySampler per worker, used on that worker's thread only.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string_view>

#include "dns/query.h"
#include "server/counters.h"
#include "zone/responder.h"

namespace fodns::server {

/// RATE of --log-queries: "0" or "off" (none), N (one query in N, 1 = every query),
/// "1/N", or a fraction 0 < F <= 1 (one in round(1/F)). @return N (0 = off) or nullopt.
std::optional<uint32_t> parse_query_log_rate(std::string_view text);

class QuerySampler {
 public:
  explicit QuerySampler(uint32_t every = 0) : every_(every) {}
  /// True for the first query, then every `every`-th one; never when `every` is 0.
  bool due() {
    if (every_ == 0 || --countdown_ != 0) return false;
    countdown_ = every_;
    return true;
  }

 private:
  uint32_t every_;
  uint32_t countdown_ = 1;
};

/// Writes the log line of one sampled query. `peer` may be null (unknown client).
void log_query(const sockaddr* peer, const dns::Query& q, dns::ParseResult parsed,
               const zone::ResponseInfo& info, Transport transport, int worker);

}  // namespace fodns::server
