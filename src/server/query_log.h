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
#include "xfr/outgoing.h"
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

/// Transfer log lines of one worker: every AXFR/IXFR request is logged, at most
/// kPerSecond lines a second so that a client asking in a loop (refused or not)
/// cannot flood the log; the next line logged says how many were left out.
struct TransferLogBudget {
  static constexpr uint32_t kPerSecond = 20;
  int64_t second = 0;
  uint32_t used = 0;
  uint64_t suppressed = 0;
  /// Counts one line at unix second `now`; false when it must be left out.
  bool take(int64_t now);
};

/// Writes the log line of one AXFR/IXFR request (granted or refused), whatever
/// --log-queries says, if `budget` allows:
///   msg="transfer" client=192.0.2.1:53211 zone=example.net. kind=IXFR key=k1
///   serial=7 client_serial=5 outcome=ixfr transport=tcp worker=0
void log_transfer(const sockaddr* peer, const dns::Query& q, const xfr::TransferReply& reply,
                  Transport transport, int worker, TransferLogBudget& budget, int64_t now);

/// Writes the log line of one sampled query. `peer` may be null (unknown client).
void log_query(const sockaddr* peer, const dns::Query& q, dns::ParseResult parsed,
               const zone::ResponseInfo& info, Transport transport, int worker);

}  // namespace fodns::server
