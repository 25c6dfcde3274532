// CNAME loops (a CNAME b, b CNAME a): refused at import and at edit, naming the loop, since
// RFC 1034 §3.6.2 says loops should be signalled; a served loop repeated its records in every
// answer until the chain limit (issue 14).
// Threading: pure functions.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>

#include "dns/zone_content.h"

namespace fodns::zonefile {

struct CnameLoop {
  size_t rr_index;     // the loop's CNAME that comes first in ZoneContent::rrs
  std::string reason;  // "CNAME loop: a.example.net. -> b.example.net. -> a.example.net."
};

/// The first CNAME loop among the zone's own names, or nullopt.
std::optional<CnameLoop> find_cname_loop(const dns::ZoneContent& zone);

/// Whether adding `owner CNAME target` closes a loop. `cname_of(name)` gives the CNAME target
/// stored at a (lowercase) name, or nullopt. @return the reason, or nullopt.
std::optional<std::string> check_cname_loop(
    const dns::Bytes& owner, const dns::Bytes& target,
    const std::function<std::optional<dns::Bytes>(const dns::Bytes&)>& cname_of);

}  // namespace fodns::zonefile
