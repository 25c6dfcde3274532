// Domain names in uncompressed wire form (RFC 1035 §3.1), the form the
// snapshot and the store exchange. Lowercased copies are used as keys:
// the DNS compares names case-insensitively (RFC 4343).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace fodns::dns {

using Bytes = std::vector<uint8_t>;

inline constexpr size_t kMaxNameLen = 255;
inline constexpr size_t kMaxLabels = 128;

inline uint8_t ascii_lower(uint8_t c) { return (c >= 'A' && c <= 'Z') ? c + 32 : c; }

/// Lowercases the ASCII letters of a wire name in place (label lengths never are letters
/// because they are < 64, below 'A').
void name_lower(uint8_t* wire, size_t len);

/// Length of the wire name starting at `wire` (including the root label); 0 if malformed
/// or longer than `max`. Compression pointers are not allowed here.
size_t name_length(const uint8_t* wire, size_t max);

/// Number of labels, not counting the root.
int name_label_count(const uint8_t* wire);

/// True if `name` equals `parent` or lies below it. Both lowercase wire names.
bool name_is_at_or_below(const Bytes& name, const Bytes& parent);

/// Strips the first label: "a.b.c." -> "b.c.". The root stays the root.
Bytes name_parent(const Bytes& name);

/// Parses presentation text ("sip.example.net." or relative to `origin`, which is
/// presentation text too). The result is lowercased when `lower` is set.
Result<Bytes> name_from_text(std::string_view text, std::string_view origin = {}, bool lower = true);

/// Presentation form with a trailing dot, e.g. "sip.example.net.": exactly
/// what ldns_rdf2str prints (so that text from either matches in SQL), without
/// ldns's printf machinery, which dominated a 1,000,000-record import.
std::string name_to_text(const uint8_t* wire, size_t len);
inline std::string name_to_text(const Bytes& n) { return name_to_text(n.data(), n.size()); }

/// Reads an absolute name as name_to_text prints it (escapes \DDD and \X) into
/// lowercase wire, without ldns. @return false if it is relative or malformed.
bool absolute_name_from_text(std::string_view text, Bytes& out);

}  // namespace fodns::dns
