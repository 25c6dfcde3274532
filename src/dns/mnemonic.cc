#include "dns/mnemonic.h"

#include <iterator>

namespace fodns::dns {

const char* type_name(uint16_t t) {
  switch (t) {
    case 1: return "A";
    case 2: return "NS";
    case 5: return "CNAME";
    case 6: return "SOA";
    case 12: return "PTR";
    case 15: return "MX";
    case 16: return "TXT";
    case 28: return "AAAA";
    case 33: return "SRV";
    case 35: return "NAPTR";
    case 39: return "DNAME";
    case 41: return "OPT";
    case 43: return "DS";
    case 46: return "RRSIG";
    case 47: return "NSEC";
    case 48: return "DNSKEY";
    case 64: return "SVCB";
    case 65: return "HTTPS";
    case 251: return "IXFR";
    case 252: return "AXFR";
    case 255: return "ANY";
    case 257: return "CAA";
    default: return nullptr;
  }
}

const char* rcode_name(uint16_t r) {
  static constexpr const char* kNames[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
                                           "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
                                           "NXRRSET", "NOTAUTH", "NOTZONE",  "DSOTYPENI"};
  if (r < std::size(kNames)) return kNames[r];
  return r == 16 ? "BADVERS" : nullptr;
}

const char* malformed_name(Malformed why) {
  static constexpr const char* kNames[] = {"none",      "short_header", "is_response",  "qdcount", "bad_name",
                                           "truncated", "bad_opt",      "multiple_opt", "trailing"};
  static_assert(std::size(kNames) == static_cast<size_t>(Malformed::kCount), "a name per Malformed");
  auto i = static_cast<size_t>(why);
  return i < std::size(kNames) ? kNames[i] : "other";
}

}  // namespace fodns::dns
