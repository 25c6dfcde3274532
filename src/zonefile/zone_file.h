// Zone files (RFC 1035 §5 master files, as BIND writes them) in and out.
// Entries are split by zone_entries.h and parsed by ldns one at a time, so that a
// 1,000,000-record file costs one pass and one vector of records; line numbers come
// from the entry reader.
// Threading: pure functions, no shared state.
#pragma once

#include <cstdint>
#include <cstdio>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "dns/zone_content.h"
#include "zonefile/zone_source.h"

namespace fodns::zonefile {

struct ParsedZone {
  std::string origin_text;   // "example.net."
  dns::ZoneContent content;  // origin, the SOA's serial (0 if no SOA), records in file order
  std::vector<int> lines;    // lines[i]: first line of content.rrs[i]
  int last_line = 0;         // number of lines in the file, for zone-wide errors
  size_t duplicates = 0;     // identical records dropped (RFC 2181 §5: an RRset has no duplicates)
};

/// Parses a master file. `origin` (presentation form, may be empty) overrides the file's
/// $ORIGIN as the zone's apex; without it the first $ORIGIN, else the SOA owner, is the apex.
/// Errors read "FILE:LINE: reason". $INCLUDE is refused: a zone is one file.
/// The file must be a regular file or a pipe of at most `max_bytes` (zone_source.h).
Result<ParsedZone> parse_zone_file(const std::string& path, std::string_view origin = {},
                                   uint64_t max_bytes = kDefaultMaxZoneBytes);

/// Same, from text in memory; `display_name` stands for FILE in messages.
Result<ParsedZone> parse_zone_text(std::string_view text, std::string_view display_name,
                                   std::string_view origin = {});

/// Parses one record given as absolute presentation text ("sip.example.net. 30 A 192.0.2.1",
/// class optional, IN only). Relative names anywhere in it are an error.
Result<dns::Rr> parse_absolute_rr(std::string_view line);

/// Writes the zone as a master file: no $ORIGIN, absolute names, the SOA first (carrying
/// `zone.serial`), then the other records in DNSSEC canonical order (RFC 4034 §6.1) by owner,
/// then by type and rdata, so that two exports of the same content are byte-identical.
void write_zone(const dns::ZoneContent& zone, std::ostream& out);

/// The records of `zone` in the order write_zone prints them (the SOA as stored).
std::vector<const dns::Rr*> export_order(const dns::ZoneContent& zone);

/// RFC 4034 §6.1 canonical order of two lowercase wire names: negative, zero or positive.
int canonical_name_compare(const dns::Bytes& a, const dns::Bytes& b);

}  // namespace fodns::zonefile
