// libFuzzer target: one DNS message -> parse_query -> respond, over UDP and over TCP,
// from a snapshot of the example zone. Traps on: UDP answer over 1232 bytes, an answer
// whose ID is not the query's, an answer to a well-formed query that ldns cannot parse.
// Output buffers are heap blocks of exactly the documented capacity, so ASan sees overruns.
#include <cstdint>
#include <cstring>
#include <memory>

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
  for (bool over_tcp : {false, true}) {
    dns::Query q;
    dns::ParseResult parsed = dns::parse_query(data, size, q);
    zone::ResponseInfo info;
    uint8_t* out = over_tcp ? tcp.get() : udp.get();
    size_t n = zone::respond(q, parsed, snap.get(), over_tcp, out, &info);
    if (n == 0) continue;
    if (n > (over_tcp ? 65535 : zone::kUdpPayloadLimit) || n < 12 || size < 2) __builtin_trap();
    if (memcmp(out, data, 2) != 0) __builtin_trap();
    if (parsed == dns::ParseResult::Ok) {
      ldns_pkt* pkt = nullptr;
      if (ldns_wire2pkt(&pkt, out, n) != LDNS_STATUS_OK) __builtin_trap();
      ldns_pkt_free(pkt);
    }
  }
  return 0;
}
