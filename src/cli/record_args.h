// Positional arguments of the record commands (NAME TTL TYPE RDATA...) and the zone that
// holds a name. Shared by record_cmd.cc, record_backend_cmd.cc and rrset_cmd.cc.
// Internal to src/cli; errors throw UsageError / DataError naming the command.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cli/cli_common.h"  // first: ldns.h breaks <optional> (its `bool` macro)
#include "dns/rr.h"
#include "store/zone_repo.h"

namespace fodns::cli {

/// NAME: absolute, valid; returns the lowercase wire form.
dns::Bytes owner_arg(std::string_view command, std::string_view name);
uint16_t type_arg(std::string_view command, std::string_view text);
uint32_t ttl_arg(std::string_view command, std::string_view text);

/// Joins RDATA words back into zone-file text, quoting words with blanks (TXT strings).
std::string join_rdata(const std::vector<std::string>& words);

/// Parses "OWNER TTL IN TYPE RDATA"; DataError naming the RDATA if it does not parse.
dns::Rr parse_record(std::string_view command, const dns::Bytes& owner, uint32_t ttl,
                     uint16_t type, const std::vector<std::string>& rdata);

/// The longest zone holding `owner`, or DataError.
store::ZoneInfo zone_of(std::string_view command, store::Db& db, const dns::Bytes& owner);

std::vector<dns::Rr> rrs_of(const std::vector<store::StoredRr>& stored);

/// `fodns record set-backend` (record_backend_cmd.cc).
int record_set_backend(const Context& ctx, int argc, char** argv);

}  // namespace fodns::cli
