#include "dns/rr.h"

#include "dns/rr_text.h"

#include <algorithm>
#include <cstring>
#include <string>

namespace fodns::dns {

namespace {
// Characters of a wire name as ldns prints it (host2str.c ldns_rdf2buffer_str_dname): dot,
// semicolon, parentheses and backslash get a backslash, bytes outside printable ASCII are
// written as a backslash and three digits, and a dot follows each label.
size_t name_text_length(const ldns_rdf* name) {
  const uint8_t* p = ldns_rdf_data(name);
  size_t size = ldns_rdf_size(name), n = 0;
  for (size_t i = 0; i < size && p[i] != 0;) {
    size_t len = p[i++];
    for (size_t k = 0; k < len && i < size; ++k, ++i) {
      uint8_t c = p[i];
      bool special = c == '.' || c == ';' || c == '(' || c == ')' || c == '\\';
      n += special ? 2 : (c > 0x20 && c < 0x7f) ? 1 : 4;
    }
    ++n;
  }
  return n;
}
// ldns prints a '"' in a name unescaped, and then reads it as the start of a string.
bool has_quote(const ldns_rdf* name) {
  const uint8_t* p = ldns_rdf_data(name);
  return std::find(p, p + ldns_rdf_size(name), '"') != p + ldns_rdf_size(name);
}
}  // namespace

Result<Rr> rr_from_ldns(const ldns_rr* rr) {
  Rr out;
  const ldns_rdf* owner = ldns_rr_owner(rr);
  if (!owner) return make_error("record without owner");
  out.owner.assign(ldns_rdf_data(owner), ldns_rdf_data(owner) + ldns_rdf_size(owner));
  if (out.owner.size() > kMaxNameLen) return make_error("owner name longer than 255 octets");
  // ldns reads at most 254 characters of an owner's text (its token limit is 255 with the
  // terminator): a longer one (escapes count 2 or 4) would be stored but could not be read
  // back from an export. Names in the rdata may be 1020 characters (ldns_str2rdf_dname).
  if (has_quote(owner)) return make_error("owner name contains a '\"' (ldns cannot read it back)");
  if (name_text_length(owner) >= LDNS_MAX_DOMAINLEN)
    return make_error("owner name is longer than 254 characters as text (with its escapes)");
  // ldns accepts some records DNS cannot carry: names over 255 octets (RFC 1035 §2.3.4)
  // and rdata with fewer fields than the type needs (a CNAME without target).
  const ldns_rr_descriptor* d = ldns_rr_descript(ldns_rr_get_type(rr));
  if (d && ldns_rr_rd_count(rr) < ldns_rr_descriptor_minimum(d))
    return make_error("record has {} rdata fields, its type needs at least {}", ldns_rr_rd_count(rr),
                      ldns_rr_descriptor_minimum(d));
  for (size_t i = 0; i < ldns_rr_rd_count(rr); ++i) {
    const ldns_rdf* f = ldns_rr_rdf(rr, i);
    if (ldns_rdf_get_type(f) == LDNS_RDF_TYPE_DNAME && ldns_rdf_size(f) > kMaxNameLen)
      return make_error("a name in the rdata is longer than 255 octets");
    if (ldns_rdf_get_type(f) == LDNS_RDF_TYPE_DNAME && has_quote(f))
      return make_error("a name in the rdata contains a '\"' (ldns cannot read it back)");
  }
  name_lower(out.owner.data(), out.owner.size());
  out.type = static_cast<uint16_t>(ldns_rr_get_type(rr));
  out.ttl = ldns_rr_ttl(rr);
  LdnsBuffer buf(ldns_buffer_new(512));
  if (ldns_rr_rdata2buffer_wire(buf.get(), rr) != LDNS_STATUS_OK) {
    return make_error("cannot encode rdata");
  }
  const uint8_t* data = ldns_buffer_begin(buf.get());
  out.rdata.assign(data, data + ldns_buffer_position(buf.get()));
  if (out.rdata.size() > 65535) return make_error("rdata longer than 65535 octets");
  // ldns accepts "." as ATMA rdata and encodes it as nothing: a record it then prints as
  // "\# 0" and refuses to read back (no field where one is needed).
  if (out.rdata.empty() && d && ldns_rr_descriptor_minimum(d) > 0)
    return make_error("{} record with empty rdata", type_to_text(out.type));
  return out;
}

Result<LdnsRr> rr_to_ldns(const Rr& rr) {
  Bytes wire = rr.owner;
  auto put16 = [&](uint16_t v) {
    wire.push_back(static_cast<uint8_t>(v >> 8));
    wire.push_back(static_cast<uint8_t>(v));
  };
  put16(rr.type);
  put16(LDNS_RR_CLASS_IN);
  put16(static_cast<uint16_t>(rr.ttl >> 16));
  put16(static_cast<uint16_t>(rr.ttl));
  put16(static_cast<uint16_t>(rr.rdata.size()));
  wire.insert(wire.end(), rr.rdata.begin(), rr.rdata.end());
  ldns_rr* raw = nullptr;
  size_t pos = 0;
  if (ldns_wire2rr(&raw, wire.data(), wire.size(), &pos, LDNS_SECTION_ANSWER) != LDNS_STATUS_OK ||
      raw == nullptr) {
    return make_error("stored record of type {} does not decode", type_to_text(rr.type));
  }
  return LdnsRr(raw);
}

std::string rr_to_text(const Rr& rr) {
  auto l = rr_to_ldns(rr);
  if (!l) return "; " + l.error().message;
  char* s = ldns_rr2str(l->get());
  std::string out = s ? s : "";
  free(s);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  // ldns prints a first label "@" unescaped, and reads any owner starting with '@' as the
  // origin: escape it so that what is printed reads back as the same name.
  if (!out.empty() && out[0] == '@') out.insert(out.begin(), '\\');
  return out;
}

Result<Rr> rr_from_text(std::string_view line, std::string_view origin) {
  ldns_rdf* orig_raw = nullptr;
  if (!origin.empty()) {
    std::string o(origin);
    if (ldns_str2rdf_dname(&orig_raw, o.c_str()) != LDNS_STATUS_OK) {
      return make_error("origin '{}' is not a valid domain name", origin);
    }
  }
  LdnsRdf orig(orig_raw);
  auto rr = rr_from_presentation(line, orig.get());
  if (!rr) return rr.error();
  if (ldns_rr_get_class(rr->get()) != LDNS_RR_CLASS_IN) return make_error("only class IN is served");
  return rr_from_ldns(rr->get());
}

std::string type_to_text(uint16_t type) {
  char* s = ldns_rr_type2str(static_cast<ldns_rr_type>(type));
  std::string out = s ? s : fmt::format("TYPE{}", type);
  free(s);
  return out;
}

bool type_from_text(std::string_view text, uint16_t* out) {
  std::string s(text);
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  ldns_rr_type t = ldns_get_rr_type_by_name(s.c_str());
  if (t == 0) return false;
  *out = static_cast<uint16_t>(t);
  return true;
}

namespace {
// Offset of the serial field in SOA rdata: after MNAME and RNAME.
size_t soa_serial_offset(const Bytes& rdata) {
  size_t a = name_length(rdata.data(), rdata.size());
  if (a == 0) return 0;
  size_t b = name_length(rdata.data() + a, rdata.size() - a);
  if (b == 0 || a + b + 20 != rdata.size()) return 0;
  return a + b;
}
uint32_t get32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
}  // namespace

bool soa_fields(const Bytes& rdata, uint32_t* serial, uint32_t* minimum) {
  size_t off = soa_serial_offset(rdata);
  if (off == 0) return false;
  if (serial) *serial = get32(rdata.data() + off);
  if (minimum) *minimum = get32(rdata.data() + off + 16);
  return true;
}

bool soa_set_serial(Bytes& rdata, uint32_t serial) {
  size_t off = soa_serial_offset(rdata);
  if (off == 0) return false;
  rdata[off] = static_cast<uint8_t>(serial >> 24);
  rdata[off + 1] = static_cast<uint8_t>(serial >> 16);
  rdata[off + 2] = static_cast<uint8_t>(serial >> 8);
  rdata[off + 3] = static_cast<uint8_t>(serial);
  return true;
}

}  // namespace fodns::dns
