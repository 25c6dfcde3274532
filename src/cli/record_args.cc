#include "cli/record_args.h"

#include <fmt/format.h>

#include "zonefile/zone_file.h"

namespace fodns::cli {

namespace {
bool is_absolute(std::string_view name) {
  if (name.empty() || name.back() != '.') return false;
  // "a\." ends with an escaped dot, which is part of a label; count the backslashes.
  size_t slashes = 0;
  for (size_t i = name.size() - 1; i > 0 && name[i - 1] == '\\'; --i) ++slashes;
  return slashes % 2 == 0;
}

// RDATA as an error message quotes it: control characters escaped (a line break would split
// the message), at most 100 characters (it may be 65,000).
std::string rdata_for_message(const std::vector<std::string>& rdata) {
  std::string joined = join_rdata(rdata);
  std::string out;
  for (char c : joined) {
    if (out.size() >= 100) return out + "...";
    auto u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u == 0x7f) ? fmt::format("\\{:03d}", u) : std::string(1, c);
  }
  return out;
}

}  // namespace

// NAME: absolute, valid; returns the lowercase wire form.
dns::Bytes owner_arg(std::string_view command, std::string_view name) {
  if (!is_absolute(name)) {
    throw UsageError(fmt::format("{}: NAME '{}' is not absolute (end it with a dot)", command, name));
  }
  auto wire = dns::name_from_text(name);
  if (!wire) throw UsageError(fmt::format("{}: NAME {}", command, wire.error().message));
  return std::move(wire.value());
}

uint16_t type_arg(std::string_view command, std::string_view text) {
  uint16_t type = 0;
  if (!dns::type_from_text(text, &type)) {
    throw UsageError(fmt::format("{}: TYPE '{}' is not a known record type", command, text));
  }
  return type;
}

uint32_t ttl_arg(std::string_view command, std::string_view text) {
  if (text.empty() || text.size() > 10 ||
      text.find_first_not_of("0123456789") != std::string_view::npos) {
    throw UsageError(fmt::format("{}: TTL '{}' is not a number", command, text));
  }
  uint64_t v = std::stoull(std::string(text));
  // RFC 2181 §8: TTLs are 31-bit; larger values are treated as zero by resolvers.
  if (v > 0x7FFFFFFFu) {
    throw UsageError(fmt::format("{}: TTL '{}' is above 2147483647 (RFC 2181 §8)", command, text));
  }
  return static_cast<uint32_t>(v);
}

// Joins RDATA words back into zone-file text. The shell has already removed quotes, so a
// word with blanks in it (a TXT string) is quoted again.
std::string join_rdata(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) out += ' ';
    bool quoted = w.size() >= 2 && w.front() == '"' && w.back() == '"';
    if (!quoted && (w.empty() || w.find_first_of(" \t") != std::string::npos)) {
      out += '"';
      for (char c : w) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
      }
      out += '"';
    } else {
      out += w;
    }
  }
  return out;
}

dns::Rr parse_record(std::string_view command, const dns::Bytes& owner, uint32_t ttl,
                     uint16_t type, const std::vector<std::string>& rdata) {
  std::string line = fmt::format("{} {} IN {} {}", dns::name_to_text(owner), ttl,
                                 dns::type_to_text(type), join_rdata(rdata));
  auto rr = zonefile::parse_absolute_rr(line);
  if (!rr) throw DataError(fmt::format("{}: RDATA '{}': {}", command, rdata_for_message(rdata),
                                       rr.error().message));
  return std::move(rr.value());
}

store::ZoneInfo zone_of(std::string_view command, store::Db& db, const dns::Bytes& owner) {
  auto zone = store::find_enclosing_zone(db, owner);
  if (!zone) {
    throw DataError(fmt::format("{}: {} is not inside any zone in {}", command,
                                dns::name_to_text(owner), db.path()));
  }
  return *zone;
}

std::vector<dns::Rr> rrs_of(const std::vector<store::StoredRr>& stored) {
  std::vector<dns::Rr> out;
  for (const auto& s : stored) out.push_back(s.rr);
  return out;
}

}  // namespace fodns::cli
