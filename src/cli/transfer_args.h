// Parsing of the zone-transfer settings given to `fodns zone set`: NOTIFY targets, transfer
// ACL entries and journal ages. Pure functions (no database); errors throw UsageError naming
// the command, the option, the value and the reason. Internal to src/cli.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "store/transfer_repo.h"

namespace fodns::cli {

/// "192.0.2.53", "192.0.2.53:5353", "2001:db8::53", "[2001:db8::53]", "[2001:db8::53]:5353".
/// The address comes back in canonical form (inet_ntop), the port defaults to 53.
/// An IPv6 address with a port needs the brackets: "2001:db8::53:5353" is an address.
store::NotifyTarget notify_arg(std::string_view command, std::string_view text);

/// "PREFIX", "key:NAME" or "PREFIX+key:NAME". PREFIX is an address ("192.0.2.1" means
/// 192.0.2.1/32, "2001:db8::1" means /128) or ADDR/LEN with no host bits set; it comes back
/// canonical ("2001:db8::/32"). NAME is normalised as zone names are ("Xfr" -> "xfr.");
/// whether the key exists is for the caller to check.
store::AclEntry acl_arg(std::string_view command, std::string_view text);

/// "30s", "10m", "12h", "7d": a whole number and a unit, 1s up to 3650d. @return seconds.
int64_t duration_s_arg(std::string_view command, std::string_view field, std::string_view text);

/// The shortest of those forms that is exact: 604800 -> "7d", 90 -> "90s".
std::string format_duration_s(int64_t seconds);

/// "192.0.2.53:53", "[2001:db8::53]:5353": how notify_arg reads it back.
std::string format_notify(const store::NotifyTarget& t);

/// "192.0.2.0/24", "key:xfr.", "192.0.2.0/24+key:xfr.": how acl_arg reads it back.
std::string format_acl(const store::AclEntry& e);

}  // namespace fodns::cli
