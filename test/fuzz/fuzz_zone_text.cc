// libFuzzer target: the input is one zone-file line. When rr_from_text accepts it, the
// record is added to the example zone and a snapshot is built (it may fail with an error,
// never crash), then the record's own name and type are asked for over UDP and TCP.
#include <cstring>
#include <string_view>
#include <vector>

#include "dns/rr.h"
#include "example_zone.h"
#include "zone/responder.h"
#include "zone/snapshot_builder.h"

// After the C++ headers: clang 14 with libstdc++ 12 fails on <memory> after ldns.h.
#include <ldns/ldns.h>

using namespace fodns;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const dns::ZoneContent base = fuzz::example_zone();
  auto rr = dns::rr_from_text(std::string_view(reinterpret_cast<const char*>(data), size), "example.net.");
  if (!rr) return 0;
  // A wire name has at most 255 octets (RFC 1035 §2.3.4); the snapshot keeps lengths in a byte.
  if (rr->owner.size() > dns::kMaxNameLen) __builtin_trap();
  std::vector<dns::ZoneContent> zones{base};
  zones[0].rrs.push_back(*rr);
  auto snap = zone::SnapshotBuilder::build(zones, 2);
  if (!snap) return 0;
  // Ask for the record: header, question (owner, type, IN).
  uint8_t msg[12 + dns::kMaxNameLen + 4] = {0x12, 0x34, 0x00, 0x00, 0x00, 0x01};
  memcpy(msg + 12, rr->owner.data(), rr->owner.size());
  uint8_t* p = msg + 12 + rr->owner.size();
  *p++ = static_cast<uint8_t>(rr->type >> 8); *p++ = static_cast<uint8_t>(rr->type); *p++ = 0; *p++ = 1;
  static std::vector<uint8_t> out(65535);
  for (bool tcp : {false, true}) {
    dns::Query q;
    auto parsed = dns::parse_query(msg, static_cast<size_t>(p - msg), q);
    zone::ResponseInfo info;
    size_t n = zone::respond(q, parsed, snap->get(), tcp, out.data(), &info);
    if (n > (tcp ? 65535 : zone::kUdpPayloadLimit)) __builtin_trap();
    ldns_pkt* pkt = nullptr;
    if (n && parsed == dns::ParseResult::Ok && ldns_wire2pkt(&pkt, out.data(), n) != LDNS_STATUS_OK) __builtin_trap();
    ldns_pkt_free(pkt);
  }
  return 0;
}
