// libFuzzer target: one DNS message -> parse_query -> cookies -> respond -> rate limiting
// (server::AnswerGuard: rate 3, slip 2, nothing exempt, so inputs reach the limited and
// slipped paths), over UDP and over TCP, from a snapshot of the example zone. Traps on: a
// UDP answer over 1232 bytes, an answer whose ID is not the query's, an answer to a
// well-formed query that ldns cannot parse, a slipped reply longer than the query.
// Output buffers are heap blocks of exactly the documented capacity, so ASan sees overruns.
#include <netinet/in.h>

#include <cstdint>
#include <cstring>
#include <memory>

#include "server/answer_guard.h"  // first: ldns (via example_zone.h) may define `false`
#include "example_zone.h"
#include "zone/responder.h"
#include "zone/snapshot_builder.h"

// After the C++ headers: clang 14 with libstdc++ 12 fails on <memory> after ldns.h.
#include <ldns/ldns.h>

using namespace fodns;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const zone::SnapshotPtr snap = *zone::SnapshotBuilder::build({fuzz::example_zone()}, 1);
  static const std::unique_ptr<uint8_t[]> udp(new uint8_t[zone::kUdpPayloadLimit]);
  static const std::unique_ptr<uint8_t[]> tcp(new uint8_t[65535]);
  static server::WorkerCounters counters;
  static server::AnswerGuard guard = [] {
    server::RrlConfig c;
    c.rate = 3;
    c.slip = 2;
    c.buckets = 64;
    server::AnswerGuard g(c, counters);
    dns::CookieSecrets s;
    s.current[0] = 1;
    s.previous[0] = 2;
    s.has_previous = true;
    g.set_secrets(s);
    return g;
  }();
  static uint64_t now_ms = 0;
  now_ms += 7;  // the buckets refill as inputs go by
  sockaddr_in6 peer{};
  peer.sin6_family = AF_INET6;
  peer.sin6_addr.s6_addr[15] = size > 0 ? data[0] & 3 : 0;  // a few clients, in one /56
  for (bool over_tcp : {false, true}) {
    dns::Query q;
    dns::ParseResult parsed = dns::parse_query(data, size, q);
    guard.check(q, parsed == dns::ParseResult::Ok ? reinterpret_cast<sockaddr*>(&peer) : nullptr);
    zone::ResponseInfo info;
    uint8_t* out = over_tcp ? tcp.get() : udp.get();
    size_t n = zone::respond(q, parsed, snap.get(), over_tcp, out, &info);
    uint64_t slipped = counters.rrl_slipped[static_cast<size_t>(info.rclass)];
    n = guard.finish(q, parsed == dns::ParseResult::Ok, info, !over_tcp,
                     reinterpret_cast<sockaddr*>(&peer), now_ms, out, n);
    if (n == 0) continue;
    if (n > (over_tcp ? 65535 : zone::kUdpPayloadLimit) || n < 12 || size < 2) __builtin_trap();
    if (memcmp(out, data, 2) != 0) __builtin_trap();
    if (counters.rrl_slipped[static_cast<size_t>(info.rclass)] != slipped && n > size) __builtin_trap();
    if (parsed == dns::ParseResult::Ok) {
      ldns_pkt* pkt = nullptr;
      if (ldns_wire2pkt(&pkt, out, n) != LDNS_STATUS_OK) __builtin_trap();
      ldns_pkt_free(pkt);
    }
  }
  return 0;
}
