// Test fixture: a snapshot built from zone-file text, queried through the real
// parser and responder, responses decoded by ldns.
#pragma once

#include <ldns/ldns.h>

#include <sstream>
#include <string>
#include <vector>

#include "dns/query.h"
#include "dns/rr.h"
#include "dns/zone_content.h"
#include "zone/responder.h"
#include "zone/snapshot_builder.h"

namespace fodns::test {

inline dns::ZoneContent zone_from_text(const std::string& origin, const std::string& text) {
  dns::ZoneContent z;
  z.origin = *dns::name_from_text(origin);
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find_first_not_of(" \t") == std::string::npos || line[0] == ';') continue;
    auto rr = dns::rr_from_text(line, origin);
    if (!rr) throw std::runtime_error("bad test record: " + line + ": " + rr.error().message);
    if (rr->type == 6) dns::soa_fields(rr->rdata, &z.serial, nullptr);
    z.rrs.push_back(*rr);
  }
  return z;
}

struct Response {
  dns::LdnsPkt pkt;
  size_t size = 0;
  zone::ResponseInfo info;
  ldns_pkt* operator->() const { return pkt.get(); }
  uint8_t rcode() const { return static_cast<uint8_t>(ldns_pkt_get_rcode(pkt.get())); }
  std::vector<std::string> section(ldns_pkt_section s) const {
    std::vector<std::string> out;
    ldns_rr_list* l = ldns_pkt_get_section_clone(pkt.get(), s);
    for (size_t i = 0; l && i < ldns_rr_list_rr_count(l); ++i) {
      char* str = ldns_rr2str(ldns_rr_list_rr(l, i));
      std::string t = str;
      free(str);
      while (!t.empty() && t.back() == '\n') t.pop_back();
      out.push_back(t);
    }
    ldns_rr_list_deep_free(l);
    return out;
  }
  std::vector<std::string> answer() const { return section(LDNS_SECTION_ANSWER); }
  std::vector<std::string> authority() const { return section(LDNS_SECTION_AUTHORITY); }
  std::vector<std::string> additional() const { return section(LDNS_SECTION_ADDITIONAL); }
};

struct QueryOptions {
  uint16_t qclass = 1;
  bool edns = false;
  uint16_t payload = 1232;
  bool tcp = false;
};

inline Response ask_wire(const zone::ZoneSnapshot& snap, const std::vector<uint8_t>& wire, bool tcp) {
  Response r;
  static std::vector<uint8_t> out(65535);
  dns::Query q;
  auto parsed = dns::parse_query(wire.data(), wire.size(), q);
  r.size = zone::respond(q, parsed, &snap, tcp, out.data(), &r.info);
  if (r.size) {
    ldns_pkt* p = nullptr;
    if (ldns_wire2pkt(&p, out.data(), r.size) != LDNS_STATUS_OK)
      throw std::runtime_error("response does not parse");
    r.pkt.reset(p);
  }
  return r;
}

/// The wire form of a query for `name` `type`.
inline std::vector<uint8_t> query_wire(const std::string& name, const std::string& type, QueryOptions o = {}) {
  ldns_rdf* n = ldns_dname_new_frm_str(name.c_str());
  ldns_pkt* p = ldns_pkt_query_new(n, ldns_get_rr_type_by_name(type.c_str()),
                                   static_cast<ldns_rr_class>(o.qclass), LDNS_RD);
  ldns_pkt_set_id(p, 4242);
  if (o.edns) {
    ldns_pkt_set_edns_udp_size(p, o.payload);
    ldns_pkt_set_edns_data(p, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_UNKNOWN, 0, ""));
  }
  uint8_t* wire = nullptr;
  size_t len = 0;
  ldns_pkt2wire(&wire, p, &len);
  ldns_pkt_free(p);
  std::vector<uint8_t> w(wire, wire + len);
  free(wire);
  return w;
}

inline Response ask(const zone::ZoneSnapshot& snap, const std::string& name, const std::string& type,
                    QueryOptions o = {}) {
  return ask_wire(snap, query_wire(name, type, o), o.tcp);
}

inline zone::SnapshotPtr build(const std::vector<dns::ZoneContent>& zones) {
  auto s = zone::SnapshotBuilder::build(zones, 1);
  if (!s) throw std::runtime_error(s.error().message);
  return *s;
}

}  // namespace fodns::test
