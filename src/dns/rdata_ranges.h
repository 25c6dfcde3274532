// Range checks on the numbers in a record's presentation text, made before ldns sees it:
// ldns reads them with strtol and a cast, so 70000 in a 16-bit field becomes 4464 and a TTL
// of 2^32+5 becomes 5 (issue 14). Refusing is the only honest answer: the operator meant a
// value DNS cannot carry.
// Threading: pure functions, no shared state.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fodns::dns {

/// Largest TTL (RFC 2181 §8: a TTL is an unsigned 31-bit number).
constexpr uint64_t kMaxTtl = 0x7FFFFFFF;

/// Seconds of a TTL or SOA timer written as digits with optional s/m/h/d/w units ("1h30m",
/// BIND's form). nullopt when the text is anything else (a sign, a fraction, garbage) or
/// when the value does not fit in 64 bits.
std::optional<uint64_t> period_seconds(std::string_view text);

/// Why `text` is not a TTL (a record's or $TTL's), or nullopt: 0..2147483647 seconds.
std::optional<std::string> check_ttl_text(std::string_view text);

/// Checks one record's text (owner first, or a leading blank for none; then an optional TTL,
/// class, the type and the rdata): the TTL and every integer field of the rdata must fit
/// the field. @return the reason naming the field, e.g. "SRV port 70000 is out of range
/// 0..65535", or nullopt. Types ldns does not know and rdata fields after the first one
/// that spans several tokens (base64, hex, type bitmaps) are left to ldns.
std::optional<std::string> check_rr_ranges(std::string_view text);

/// Where the parts of a record's tokens (rr_text.h split_rr_tokens) are, in ldns's order:
/// [owner] [TTL, when it starts with a digit] [class] type rdata...
struct RrLayout {
  std::optional<size_t> ttl;  // index of the TTL token
  size_t type = 0;            // index of the type token; tokens.size() if there is none
  size_t rdata = 0;           // index of the first rdata token
};
std::optional<RrLayout> rr_layout(const std::vector<std::string_view>& tokens, bool has_owner);

/// Indices of the plain integer rdata fields of `type` (INT8/16/32 and SOA timers) before the
/// first field spanning several tokens, for tests that compare written and stored numbers.
std::vector<size_t> checked_integer_fields(uint16_t type);

}  // namespace fodns::dns
