#include "dns/rdata_ranges.h"

#include <array>
#include <cctype>

#include <fmt/format.h>
#include <ldns/ldns.h>

#include "dns/rr_text.h"

namespace fodns::dns {

namespace {

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// Decimal value, or nullopt when it does not fit in 64 bits: still "out of range" to callers.
std::optional<uint64_t> decimal(std::string_view s) {
  uint64_t v = 0;
  for (char c : s) {
    if (v > (UINT64_MAX - 9) / 10) return std::nullopt;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v;
}

// Names of the leading fields of the types fodns users write; other types say "field N".
std::string_view field_name(uint16_t type, size_t index) {
  using Names = std::array<std::string_view, 7>;
  auto pick = [&](const Names& n) { return index < n.size() ? n[index] : std::string_view{}; };
  switch (type) {
    case LDNS_RR_TYPE_SRV: return pick({"priority", "weight", "port", "target"});
    case LDNS_RR_TYPE_MX:
    case LDNS_RR_TYPE_KX:
    case LDNS_RR_TYPE_RT: return pick({"preference"});
    case LDNS_RR_TYPE_AFSDB: return pick({"subtype"});
    case LDNS_RR_TYPE_NAPTR: return pick({"order", "preference", "flags", "services", "regexp"});
    case LDNS_RR_TYPE_SOA:
      return pick({"mname", "rname", "serial", "refresh", "retry", "expire", "minimum"});
    case LDNS_RR_TYPE_CAA: return pick({"flags", "tag"});
    case LDNS_RR_TYPE_URI: return pick({"priority", "weight"});
    case LDNS_RR_TYPE_DS:
    case LDNS_RR_TYPE_CDS: return pick({"key tag", "algorithm", "digest type"});
    case LDNS_RR_TYPE_DNSKEY:
    case LDNS_RR_TYPE_CDNSKEY: return pick({"flags", "protocol", "algorithm"});
    case LDNS_RR_TYPE_SSHFP: return pick({"algorithm", "fingerprint type"});
    case LDNS_RR_TYPE_TLSA: return pick({"usage", "selector", "matching type"});
    case LDNS_RR_TYPE_RRSIG:
      return pick({"type covered", "algorithm", "labels", "original TTL", "expiration",
                   "inception", "key tag"});
    case LDNS_RR_TYPE_NSEC3PARAM: return pick({"hash algorithm", "flags", "iterations"});
    default: return {};
  }
}

// Fields ldns reads from exactly one token; the walk stops at the first other one, since
// after it the tokens no longer line up with the fields.
bool single_token(ldns_rdf_type t) {
  switch (t) {
    case LDNS_RDF_TYPE_DNAME: case LDNS_RDF_TYPE_INT8: case LDNS_RDF_TYPE_INT16:
    case LDNS_RDF_TYPE_INT32: case LDNS_RDF_TYPE_A: case LDNS_RDF_TYPE_AAAA:
    case LDNS_RDF_TYPE_STR: case LDNS_RDF_TYPE_PERIOD: case LDNS_RDF_TYPE_TIME:
    case LDNS_RDF_TYPE_ALG: case LDNS_RDF_TYPE_TYPE: case LDNS_RDF_TYPE_TAG:
    case LDNS_RDF_TYPE_LONG_STR: case LDNS_RDF_TYPE_CERTIFICATE_USAGE:
    case LDNS_RDF_TYPE_SELECTOR: case LDNS_RDF_TYPE_MATCHING_TYPE:
      return true;
    default:
      return false;
  }
}

// Largest value of an integer field, or 0 for a field that holds no plain integer.
uint64_t field_max(ldns_rdf_type t) {
  switch (t) {
    case LDNS_RDF_TYPE_INT8: case LDNS_RDF_TYPE_ALG: case LDNS_RDF_TYPE_CERTIFICATE_USAGE:
    case LDNS_RDF_TYPE_SELECTOR: case LDNS_RDF_TYPE_MATCHING_TYPE:
      return 0xFF;
    case LDNS_RDF_TYPE_INT16: return 0xFFFF;
    case LDNS_RDF_TYPE_INT32: case LDNS_RDF_TYPE_PERIOD: case LDNS_RDF_TYPE_TIME:
      return 0xFFFFFFFF;
    default: return 0;
  }
}

// Fields that also take a mnemonic ("RSASHA256") or a date: only their numbers are checked.
bool number_optional(ldns_rdf_type t) {
  return t == LDNS_RDF_TYPE_ALG || t == LDNS_RDF_TYPE_CERTIFICATE_USAGE ||
         t == LDNS_RDF_TYPE_SELECTOR || t == LDNS_RDF_TYPE_MATCHING_TYPE ||
         t == LDNS_RDF_TYPE_TIME;
}

std::optional<std::string> check_field(std::string_view type_text, uint16_t type, size_t index,
                                       ldns_rdf_type ft, std::string_view token) {
  uint64_t max = field_max(ft);
  if (max == 0) return std::nullopt;
  std::string_view name = field_name(type, index);
  std::string field = name.empty() ? fmt::format("{} field {}", type_text, index + 1)
                                   : fmt::format("{} {}", type_text, name);
  std::optional<uint64_t> value;
  if (ft == LDNS_RDF_TYPE_PERIOD) {
    value = period_seconds(token);
    if (!value && all_digits(token)) value = UINT64_MAX;
  } else if (all_digits(token)) {
    // A 14-digit TIME is a date (YYYYMMDDHHmmSS), which ldns checks itself.
    if (ft == LDNS_RDF_TYPE_TIME && token.size() == 14) return std::nullopt;
    value = decimal(token).value_or(UINT64_MAX);
  } else if (number_optional(ft) && !token.empty() && token[0] != '-' && token[0] != '+') {
    return std::nullopt;
  }
  if (!value) return fmt::format("{} '{}' is not a number", field, token);
  if (*value > max) return fmt::format("{} {} is out of range 0..{}", field, token, max);
  return std::nullopt;
}

}  // namespace

std::optional<uint64_t> period_seconds(std::string_view text) {
  if (text.empty()) return std::nullopt;
  uint64_t total = 0;
  uint64_t group = 0;
  bool digits = false;
  for (char c : text) {
    if (c >= '0' && c <= '9') {
      if (group > (UINT64_MAX - 9) / 10) return std::nullopt;
      group = group * 10 + static_cast<uint64_t>(c - '0');
      digits = true;
      continue;
    }
    uint64_t unit = 0;
    switch (std::tolower(static_cast<unsigned char>(c))) {
      case 's': unit = 1; break;
      case 'm': unit = 60; break;
      case 'h': unit = 3600; break;
      case 'd': unit = 86400; break;
      case 'w': unit = 604800; break;
      default: return std::nullopt;
    }
    if (!digits || group > UINT64_MAX / unit / 2) return std::nullopt;
    total += group * unit;
    group = 0;
    digits = false;
  }
  if (total > UINT64_MAX / 2) return std::nullopt;
  return total + group;
}

std::optional<std::string> check_ttl_text(std::string_view text) {
  auto v = period_seconds(text);
  if (!v) {
    if (all_digits(text)) return fmt::format("TTL {} is above {} (RFC 2181 §8)", text, kMaxTtl);
    return fmt::format("TTL '{}' is not a number of seconds", text);
  }
  if (*v > kMaxTtl) return fmt::format("TTL {} is above {} (RFC 2181 §8)", text, kMaxTtl);
  return std::nullopt;
}

std::optional<RrLayout> rr_layout(const std::vector<std::string_view>& tok, bool has_owner) {
  RrLayout l;
  size_t i = has_owner ? 1 : 0;
  if (i < tok.size() && std::isdigit(static_cast<unsigned char>(tok[i][0]))) l.ttl = i++;
  if (i < tok.size() && ldns_get_rr_class_by_name(std::string(tok[i]).c_str()) != 0) ++i;
  l.type = i;  // tokens.size() when the type is missing: ldns reports it
  l.rdata = std::min(i + 1, tok.size());
  return l;
}

std::vector<size_t> checked_integer_fields(uint16_t type) {
  std::vector<size_t> out;
  const ldns_rr_descriptor* d = type ? ldns_rr_descript(type) : nullptr;
  for (size_t f = 0; d && f < ldns_rr_descriptor_maximum(d) && f < 16; ++f) {
    ldns_rdf_type ft = ldns_rr_descriptor_field_type(d, f);
    if (!single_token(ft)) break;
    // Plain integers only: ldns prints mnemonics for some others and dates for TIME.
    if (field_max(ft) != 0 && !number_optional(ft)) out.push_back(f);
  }
  return out;
}

std::optional<std::string> check_rr_ranges(std::string_view text) {
  RrTokens t = split_rr_tokens(text);
  auto& tok = t.tokens;
  auto layout = rr_layout(tok, t.has_owner);
  if (!layout) return std::nullopt;
  // ldns splits the tokens before the rdata at blanks even inside quotes: refuse quotes there
  // rather than let ldns read other tokens than these checks did.
  for (size_t h = 0; h < layout->rdata; ++h) {
    if (tok[h].find('"') != std::string_view::npos) {
      return fmt::format("'{}': quotes are allowed only in the rdata", tok[h]);
    }
  }
  if (layout->ttl) {
    if (auto bad = check_ttl_text(tok[*layout->ttl])) return bad;
  }
  // ldns takes a record without a type (blank text, or only an owner) as type 0.
  if (layout->type >= tok.size()) return std::string("the record has no type");
  std::string type_text(tok[layout->type]);
  for (auto& c : type_text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto type = static_cast<uint16_t>(ldns_get_rr_type_by_name(type_text.c_str()));
  // ldns makes any unknown type token type 0 (reserved, RFC 6895) and stores the record.
  // It also reads "TYPE34\." as 34: only a mnemonic or TYPEnnn, nothing after it.
  bool exact = false;
  if (type != 0) {
    char* known = ldns_rr_type2str(static_cast<ldns_rr_type>(type));
    exact = known && type_text == known;
    free(known);
    exact = exact || (type_text.starts_with("TYPE") && all_digits(std::string_view(type_text).substr(4)));
  }
  if (!exact) return fmt::format("'{}' is not a record type", tok[layout->type]);
  size_t i = layout->rdata;
  if (i < tok.size() && tok[i] == "\\#") {
    // RFC 3597 generic rdata: ldns keeps the length in 16 bits with atoi.
    if (i + 1 < tok.size() &&
        (!all_digits(tok[i + 1]) || decimal(tok[i + 1]).value_or(UINT64_MAX) > 0xFFFF)) {
      return fmt::format("{} rdata length {} is out of range 0..65535", type_text, tok[i + 1]);
    }
    return std::nullopt;
  }
  const ldns_rr_descriptor* d = type ? ldns_rr_descript(type) : nullptr;
  if (!d) return std::nullopt;
  // Every field takes at least one token. Checked here too because ldns leaks the fields it
  // parsed when a later one is missing or malformed (LeakSanitizer, fuzz_zone_text).
  size_t have = tok.size() - i;
  if (have < ldns_rr_descriptor_minimum(d)) {
    return fmt::format("{} needs at least {} rdata fields, it has {}", type_text,
                       ldns_rr_descriptor_minimum(d), have);
  }
  for (size_t f = 0; i + f < tok.size() && f < ldns_rr_descriptor_maximum(d); ++f) {
    ldns_rdf_type ft = ldns_rr_descriptor_field_type(d, f);
    if (!single_token(ft)) break;
    if (auto bad = check_field(type_text, type, f, ft, tok[i + f])) return bad;
  }
  return std::nullopt;
}

}  // namespace fodns::dns
