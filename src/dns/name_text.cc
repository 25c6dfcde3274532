// The name codec: wire names to presentation text and back (ldns's escapes).
#include "dns/name.h"

#include <cstdlib>

#include "dns/ldns_ptr.h"

namespace fodns::dns {
namespace {

std::string ldns_name_to_text(const uint8_t* wire, size_t len) {
  LdnsRdf rdf(ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, len, wire));
  if (!rdf) return "<invalid>";
  char* s = ldns_rdf2str(rdf.get());
  std::string out = s ? s : "<invalid>";
  free(s);
  return out;
}

}  // namespace

std::string name_to_text(const uint8_t* wire, size_t size) {
  // Prints exactly what ldns_rdf2str prints for a name (so that text from either matches in
  // SQL), without ldns's printf machinery, which dominated a 1,000,000-record import.
  static constexpr char kDigits[] = "0123456789";
  std::string out;
  size_t len = name_length(wire, size);
  if (len == 0) return ldns_name_to_text(wire, size);  // malformed: let ldns say so
  if (len == 1) return ".";
  out.reserve(len + 8);
  size_t pos = 0;
  while (wire[pos] != 0) {
    size_t n = wire[pos++];
    for (size_t i = 0; i < n; ++i, ++pos) {
      uint8_t c = wire[pos];
      if (c == '.' || c == ';' || c == '(' || c == ')' || c == '\\') {
        out += '\\';
        out += static_cast<char>(c);
      } else if (c < 0x21 || c > 0x7e) {
        out += '\\';
        out += kDigits[c / 100];
        out += kDigits[(c / 10) % 10];
        out += kDigits[c % 10];
      } else {
        out += static_cast<char>(c);
      }
    }
    out += '.';
  }
  return out;
}

bool absolute_name_from_text(std::string_view s, Bytes& out) {
  out.clear();
  if (s == ".") {
    out.push_back(0);
    return true;
  }
  size_t label = 0;
  out.push_back(0);
  for (size_t i = 0; i < s.size();) {
    char c = s[i];
    if (c == '.') {
      size_t len = out.size() - label - 1;
      if (len == 0 || len > 63) return false;
      out[label] = static_cast<uint8_t>(len);
      ++i;
      if (i == s.size()) {
        out.push_back(0);
        return out.size() <= kMaxNameLen;
      }
      label = out.size();
      out.push_back(0);
      continue;
    }
    uint8_t b;
    if (c == '\\') {
      if (i + 1 >= s.size()) return false;
      auto digit = [&](size_t k) { return k < s.size() && s[k] >= '0' && s[k] <= '9'; };
      if (digit(i + 1)) {
        if (!digit(i + 2) || !digit(i + 3)) return false;
        int v = (s[i + 1] - '0') * 100 + (s[i + 2] - '0') * 10 + (s[i + 3] - '0');
        if (v > 255) return false;
        b = static_cast<uint8_t>(v);
        i += 4;
      } else {
        b = static_cast<uint8_t>(s[i + 1]);
        i += 2;
      }
    } else {
      b = static_cast<uint8_t>(c);
      ++i;
    }
    out.push_back(ascii_lower(b));
  }
  return false;  // no final dot: relative
}

}  // namespace fodns::dns
