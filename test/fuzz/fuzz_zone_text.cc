// libFuzzer target: the input is one zone-file line. When rr_from_text accepts it, what was
// stored must be what was written: the record printed back parses to the same record, and
// every TTL and integer field the input wrote is the number stored (ldns wrapped 70000 to
// 4464, issue 14). Then the record is added to the example zone, a snapshot is built (it may
// fail with an error, never crash), and the record's own name and type are asked for over
// UDP and TCP.
#include <cstring>
#include <string_view>
#include <vector>

#include "dns/rdata_ranges.h"
#include "dns/rr.h"
#include "dns/rr_text.h"
#include "example_zone.h"
#include "zone/responder.h"
#include "zone/snapshot_builder.h"

// After the C++ headers: clang 14 with libstdc++ 12 fails on <memory> after ldns.h.
#include <ldns/ldns.h>

using namespace fodns;

namespace {

// Decimal text without leading zeros ("007" -> "7"), or empty if not all digits.
std::string_view number(std::string_view t) {
  if (t.empty() || t.find_first_not_of("0123456789") != std::string_view::npos) return {};
  size_t nz = t.find_first_not_of('0');
  return nz == std::string_view::npos ? t.substr(t.size() - 1) : t.substr(nz);
}

void check_round_trip(std::string_view input, const dns::Rr& rr) {
  std::string written = dns::rr_to_text(rr);
  auto again = dns::rr_from_text(written, "");
  if (!again || again->owner != rr.owner || again->type != rr.type || again->ttl != rr.ttl ||
      again->rdata != rr.rdata) {
    __builtin_trap();
  }
  auto ready = dns::ldns_ready_text(input);
  if (!ready) __builtin_trap();  // rr_from_text accepted it, so it was ready
  auto in = dns::split_rr_tokens(*ready);
  auto out = dns::split_rr_tokens(written);
  auto li = dns::rr_layout(in.tokens, in.has_owner);
  auto lo = dns::rr_layout(out.tokens, out.has_owner);
  if (!li || !lo) __builtin_trap();
  if (li->ttl && !number(in.tokens[*li->ttl]).empty() &&
      number(in.tokens[*li->ttl]) != number(out.tokens[*lo->ttl])) {
    __builtin_trap();
  }
  bool generic = li->rdata < in.tokens.size() && in.tokens[li->rdata] == "\\#";  // RFC 3597
  for (size_t f : generic ? std::vector<size_t>{} : dns::checked_integer_fields(rr.type)) {
    if (li->rdata + f >= in.tokens.size() || lo->rdata + f >= out.tokens.size()) break;
    auto a = number(in.tokens[li->rdata + f]);
    auto b = number(out.tokens[lo->rdata + f]);
    if (!a.empty() && !b.empty() && a != b) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const dns::ZoneContent base = fuzz::example_zone();
  auto rr = dns::rr_from_text(std::string_view(reinterpret_cast<const char*>(data), size), "example.net.");
  if (!rr) return 0;
  // A wire name has at most 255 octets (RFC 1035 §2.3.4); the snapshot keeps lengths in a byte.
  if (rr->owner.size() > dns::kMaxNameLen) __builtin_trap();
  check_round_trip(std::string_view(reinterpret_cast<const char*>(data), size), *rr);
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
