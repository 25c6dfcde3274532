#include "dns/name.h"

#include <cstring>

#include "dns/ldns_ptr.h"

namespace fodns::dns {

void name_lower(uint8_t* wire, size_t len) {
  for (size_t i = 0; i < len; ++i) wire[i] = ascii_lower(wire[i]);
}

size_t name_length(const uint8_t* wire, size_t max) {
  size_t pos = 0;
  while (pos < max) {
    uint8_t len = wire[pos];
    if (len == 0) return pos + 1 <= kMaxNameLen ? pos + 1 : 0;
    if (len > 63) return 0;
    pos += 1 + len;
    if (pos > kMaxNameLen) return 0;
  }
  return 0;
}

int name_label_count(const uint8_t* wire) {
  int n = 0;
  while (*wire != 0) {
    wire += 1 + *wire;
    ++n;
  }
  return n;
}

bool name_is_at_or_below(const Bytes& name, const Bytes& parent) {
  if (parent.size() > name.size()) return false;
  // Walk labels of `name` until the remaining suffix is as long as `parent`;
  // comparing only at label boundaries avoids "xexample.net" matching "example.net".
  size_t pos = 0;
  while (name.size() - pos > parent.size()) pos += 1 + name[pos];
  if (name.size() - pos != parent.size()) return false;
  return std::memcmp(name.data() + pos, parent.data(), parent.size()) == 0;
}

Bytes name_parent(const Bytes& name) {
  if (name.size() <= 1) return name;
  return Bytes(name.begin() + 1 + name[0], name.end());
}

Result<Bytes> name_from_text(std::string_view text, std::string_view origin, bool lower) {
  if (text.empty()) return make_error("empty name");
  std::string s(text);
  ldns_rdf* raw = nullptr;
  if (ldns_str2rdf_dname(&raw, s.c_str()) != LDNS_STATUS_OK || raw == nullptr) {
    return make_error("'{}' is not a valid domain name", text);
  }
  LdnsRdf rdf(raw);
  if (!ldns_dname_str_absolute(s.c_str())) {
    if (origin.empty()) return make_error("'{}' is relative and no origin is known", text);
    std::string o(origin);
    ldns_rdf* oraw = nullptr;
    if (ldns_str2rdf_dname(&oraw, o.c_str()) != LDNS_STATUS_OK || oraw == nullptr) {
      return make_error("origin '{}' is not a valid domain name", origin);
    }
    LdnsRdf orig(oraw);
    if (ldns_dname_cat(rdf.get(), orig.get()) != LDNS_STATUS_OK) {
      return make_error("'{}' is too long once '{}' is appended", text, origin);
    }
  }
  const uint8_t* data = ldns_rdf_data(rdf.get());
  Bytes out(data, data + ldns_rdf_size(rdf.get()));
  if (out.size() > kMaxNameLen) return make_error("'{}' is longer than 255 octets", text);
  if (lower) name_lower(out.data(), out.size());
  return out;
}

}  // namespace fodns::dns
