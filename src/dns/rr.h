// Rr: one resource record as the store keeps it and the snapshot builder
// consumes it: owner as a lowercase uncompressed wire name, rdata as
// uncompressed wire rdata. Conversions to and from ldns live here.
#pragma once

#include <cstdint>
#include <string>

#include <ldns/ldns.h>

#include "common/result.h"
#include "dns/ldns_ptr.h"
#include "dns/name.h"

namespace fodns::dns {

struct Rr {
  Bytes owner;  // lowercase wire name
  uint16_t type = 0;
  uint32_t ttl = 0;
  Bytes rdata;  // uncompressed wire rdata
  int64_t backend_id = 0;  // governing backend; 0: always served
  int32_t priority = 0;    // failover tier within the RRset; lower is preferred

  bool operator==(const Rr&) const = default;
};

/// Converts an ldns RR (class IN assumed by the caller) to our form.
Result<Rr> rr_from_ldns(const ldns_rr* rr);

/// Builds an ldns RR, so that ldns can print it or tell which rdata fields are names.
Result<LdnsRr> rr_to_ldns(const Rr& rr);

/// One zone-file line, e.g. "sip.example.net.\t30\tIN\tA\t192.0.2.10".
std::string rr_to_text(const Rr& rr);

/// Parses one zone-file style line ("NAME TTL [IN] TYPE RDATA...") relative to `origin`.
Result<Rr> rr_from_text(std::string_view line, std::string_view origin);

/// Type mnemonic ("A", "SRV", "TYPE65280").
std::string type_to_text(uint16_t type);
/// Parses a type mnemonic or TYPEnnn; false if unknown.
bool type_from_text(std::string_view text, uint16_t* out);

/// SOA rdata accessors (serial at offset after the two names). False if malformed.
bool soa_fields(const Bytes& rdata, uint32_t* serial, uint32_t* minimum);
bool soa_set_serial(Bytes& rdata, uint32_t serial);

}  // namespace fodns::dns
