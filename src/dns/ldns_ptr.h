// RAII owners for ldns objects, so that every early return frees them.
#pragma once

#include <memory>

#include <ldns/ldns.h>

namespace fodns::dns {

struct LdnsDeleter {
  void operator()(ldns_rr* p) const { ldns_rr_free(p); }
  void operator()(ldns_rdf* p) const { ldns_rdf_deep_free(p); }
  void operator()(ldns_pkt* p) const { ldns_pkt_free(p); }
  void operator()(ldns_buffer* p) const { ldns_buffer_free(p); }
  void operator()(ldns_rr_list* p) const { ldns_rr_list_deep_free(p); }
  void operator()(ldns_zone* p) const { ldns_zone_deep_free(p); }
};

using LdnsRr = std::unique_ptr<ldns_rr, LdnsDeleter>;
using LdnsRdf = std::unique_ptr<ldns_rdf, LdnsDeleter>;
using LdnsPkt = std::unique_ptr<ldns_pkt, LdnsDeleter>;
using LdnsBuffer = std::unique_ptr<ldns_buffer, LdnsDeleter>;
using LdnsRrList = std::unique_ptr<ldns_rr_list, LdnsDeleter>;

}  // namespace fodns::dns
