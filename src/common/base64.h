// Base64 (RFC 4648 §4, standard alphabet, padded), as TSIG secrets are written in BIND,
// Knot and NSD configuration. Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fodns {

std::string base64_encode(std::span<const uint8_t> data);

/// Strict: only the standard alphabet, length a multiple of 4, '=' only as the last one or
/// two characters, no blanks. @return nullopt if `text` is not such base64.
std::optional<std::vector<uint8_t>> base64_decode(std::string_view text);

}  // namespace fodns
