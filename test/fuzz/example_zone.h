// The zone both fuzz targets serve: zones/example.net.zone embedded (hermetic: no file
// path at run time), plus a few records that reach more of the answer path (CNAME chains
// out of the zone and into a wildcard, another wildcard, an RRset too big for UDP).
#pragma once

#include <cstdlib>

#include "dns/zone_content.h"
#include "zonefile/zone_file.h"

namespace fodns::fuzz {

inline constexpr char kExampleZone[] = R"(
$ORIGIN example.net.
$TTL 300
@           IN SOA  ns1.example.net. hostmaster.example.net. 2026112801 3600 600 1209600 30
            IN NS   ns1.example.net.
            IN NS   ns2.example.net.
ns1         IN A    127.0.0.1
ns2         IN A    127.0.0.2
            IN AAAA ::1
sip1        30 IN A    127.0.1.1
sip2        30 IN A    127.0.1.2
sip         30 IN A    127.0.1.1
sip         30 IN A    127.0.1.2
sip         30 IN AAAA ::1
@           IN NAPTR 10 50 "s" "SIPS+D2T" "" _sips._tcp.example.net.
@           IN NAPTR 20 50 "s" "SIP+D2T"  "" _sip._tcp.example.net.
@           IN NAPTR 30 50 "s" "SIP+D2U"  "" _sip._udp.example.net.
_sip._udp   30 IN SRV 10 50 5060 sip1.example.net.
_sip._udp   30 IN SRV 20 50 5060 sip2.example.net.
_sip._tcp   30 IN SRV 10 50 5060 sip1.example.net.
_sip._tcp   30 IN SRV 20 50 5060 sip2.example.net.
_sips._tcp  30 IN SRV 10 50 5061 sip1.example.net.
_sips._tcp  30 IN SRV 20 50 5061 sip2.example.net.
@           IN MX   10 mail.example.net.
mail        IN A    127.0.2.25
www         IN CNAME web.example.net.
web         IN A    127.0.2.80
*.phones    IN A    127.0.3.1
*.phones    IN TXT  "provisioning wildcard"
pbx.office  IN A    127.0.4.1
customer    IN NS   ns.customer.example.net.
ns.customer IN A    127.0.5.53
; extras for the fuzzers
ext         IN CNAME sip.example.org.
chain       IN CNAME www.example.net.
*.w         IN MX   20 mail.example.net.
cw          IN CNAME x.phones.example.net.
big         IN TXT  "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789" "a"
big         IN TXT  "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789" "b"
big         IN TXT  "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789" "c"
big         IN TXT  "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789" "d"
big         IN TXT  "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789" "e"
)";

/// The example zone as stored; aborts if it does not parse (a bug in this file).
inline dns::ZoneContent example_zone() {
  auto z = zonefile::parse_zone_text(kExampleZone, "example_zone.h", "example.net.");
  if (!z) abort();
  return z->content;
}

}  // namespace fodns::fuzz
