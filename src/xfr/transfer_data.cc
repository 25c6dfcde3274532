#include "xfr/transfer_data.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <iterator>

#include "dns/wire.h"

namespace fodns::xfr {

Result<AclRule> parse_prefix(std::string_view text) {
  AclRule r;
  r.any_address = false;
  std::string addr(text.substr(0, text.find('/')));
  bool v6 = addr.find(':') != std::string::npos;
  r.family = v6 ? AF_INET6 : AF_INET;
  int max = v6 ? 128 : 32;
  if (inet_pton(r.family, addr.c_str(), r.addr) != 1)
    return make_error("'{}' is not an IPv4 or IPv6 address", addr);
  r.prefix_len = max;
  if (auto slash = text.find('/'); slash != std::string_view::npos) {
    auto len = text.substr(slash + 1);
    auto [p, ec] = std::from_chars(len.data(), len.data() + len.size(), r.prefix_len);
    if (ec != std::errc() || p != len.data() + len.size() || r.prefix_len < 0 || r.prefix_len > max)
      return make_error("prefix length '{}' is not between 0 and {}", len, max);
  }
  for (int bit = r.prefix_len; bit < max; ++bit)
    if (r.addr[bit / 8] & (0x80 >> (bit % 8)))
      return make_error("'{}' has host bits set beyond /{}", text, r.prefix_len);
  return r;
}

bool prefix_matches(const AclRule& rule, const sockaddr* peer) {
  if (rule.any_address) return true;
  const uint8_t* a = nullptr;
  uint8_t mapped[4];
  if (peer->sa_family == AF_INET6) {
    const auto* s6 = reinterpret_cast<const sockaddr_in6*>(peer);
    a = s6->sin6_addr.s6_addr;
    if (rule.family == AF_INET && IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
      std::memcpy(mapped, a + 12, 4);
      a = mapped;
    } else if (rule.family != AF_INET6) {
      return false;
    }
  } else if (peer->sa_family == AF_INET) {
    if (rule.family != AF_INET) return false;
    a = reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in*>(peer)->sin_addr);
  } else {
    return false;
  }
  int full = rule.prefix_len / 8, rest = rule.prefix_len % 8;
  if (std::memcmp(a, rule.addr, static_cast<size_t>(full)) != 0) return false;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xFF << (8 - rest));
  return (a[full] & mask) == (rule.addr[full] & mask);
}

std::string rr_key(const dns::Rr& rr) {
  std::string k;
  k.reserve(rr.owner.size() + 10 + rr.rdata.size());
  k.append(rr.owner.begin(), rr.owner.end());
  uint8_t fixed[10];
  dns::put16(fixed, rr.type);
  dns::put16(fixed + 2, dns::kClassIn);
  dns::put32(fixed + 4, rr.ttl);
  dns::put16(fixed + 8, static_cast<uint16_t>(rr.rdata.size()));
  k.append(reinterpret_cast<const char*>(fixed), sizeof fixed);
  k.append(rr.rdata.begin(), rr.rdata.end());
  return k;
}

void RrBlob::add(const dns::Rr& rr) {
  std::string k = rr_key(rr);
  bytes.insert(bytes.end(), k.begin(), k.end());
  ++count;
}

size_t RrBlob::rr_length(size_t off) const {
  size_t p = off;
  while (p < bytes.size() && bytes[p] != 0) {
    if (bytes[p] > 63) return 0;
    p += 1 + bytes[p];
  }
  if (p + 11 > bytes.size()) return 0;
  size_t rdlen = dns::get16(bytes.data() + p + 9);
  if (p + 11 + rdlen > bytes.size()) return 0;
  return p + 11 + rdlen - off;
}

const ZoneTransfer* TransferTable::find(const uint8_t* apex, size_t len) const {
  for (const auto& z : zones)
    if (z->apex.size() == len && std::memcmp(z->apex.data(), apex, len) == 0) return z.get();
  return nullptr;
}

std::shared_ptr<JournalDiff> make_diff(uint32_t from, uint32_t to, const dns::Rr& old_soa,
                                       const dns::Rr& new_soa,
                                       const std::vector<std::string>& old_set,
                                       const std::vector<std::string>& new_set) {
  auto d = std::make_shared<JournalDiff>();
  d->from = from;
  d->to = to;
  d->removed.add(old_soa);
  d->added.add(new_soa);
  std::vector<std::string> gone, came;
  std::set_difference(old_set.begin(), old_set.end(), new_set.begin(), new_set.end(),
                      std::back_inserter(gone));
  std::set_difference(new_set.begin(), new_set.end(), old_set.begin(), old_set.end(),
                      std::back_inserter(came));
  for (const auto& k : gone) {
    d->removed.bytes.insert(d->removed.bytes.end(), k.begin(), k.end());
    ++d->removed.count;
  }
  for (const auto& k : came) {
    d->added.bytes.insert(d->added.bytes.end(), k.begin(), k.end());
    ++d->added.count;
  }
  return d;
}

}  // namespace fodns::xfr
