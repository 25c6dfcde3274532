// Query: the parts of a DNS query message the responder needs, parsed in place
// without allocation (the per-query path). The qname is kept twice: as the
// client sent it (echoed back with its case, RFC 1035 §7.1 / 0x20) and
// lowercased with its label offsets, for lookups.
#pragma once

#include <cstddef>
#include <cstdint>

#include "dns/name.h"

namespace fodns::dns {

enum class ParseResult : uint8_t {
  Ok,
  Drop,      // no reply: too short for a header, or a response (QR set)
  FormErr,   // header readable, the rest malformed
  NotImp,    // opcode we do not implement
};

/// Why a query was dropped or refused as malformed; counted in metrics.
enum class Malformed : uint8_t {
  None, ShortHeader, IsResponse, QdCount, BadName, Truncated, BadOpt, MultipleOpt, Trailing,
  kCount
};

struct Query {
  const uint8_t* msg = nullptr;
  size_t len = 0;
  uint16_t id = 0;
  uint8_t opcode = 0;
  uint16_t qtype = 0;
  uint16_t qclass = 0;
  size_t qname_len = 0;         // wire length incl. root label
  size_t question_end = 0;      // offset after QTYPE/QCLASS
  uint8_t qname_lower[kMaxNameLen];
  uint8_t label_count = 0;
  uint8_t label_off[kMaxLabels];  // offset of each label in the qname; [0] = 0
  bool has_edns = false;
  uint8_t edns_version = 0;
  bool edns_do = false;
  uint16_t edns_payload = 0;    // as sent by the client
  Malformed why = Malformed::None;
  bool question_ok = false;     // for NotImp: the question and OPT could be parsed
  bool has_tsig = false;        // a TSIG RR is present (checked off the fast path)
  uint16_t tsig_offset = 0;     // where it starts when it is the last RR of the additional
                                // section, as RFC 8945 §5.1 wants; else 0 (FORMERR)
  uint16_t cookie_off = 0;      // offset of the COOKIE option's data (RFC 7873); 0: none
  uint8_t cookie_len = 0;       // its length, already checked: 8 or 16..40
  uint16_t opt_reserve = 0;     // bytes the responder leaves free after the OPT RR for options
};

/// Validates a possibly compressed name at `pos` of `msg` and returns the
/// offset after it (after its first pointer, if any), or 0 if malformed:
/// pointers must point strictly backward (RFC 9267), the name fit 255 octets.
size_t skip_name(const uint8_t* msg, size_t len, size_t pos);

/// Parses a query message. On FormErr/NotImp, `q.id` and `q.opcode` are valid
/// (the header could be read) so an error response can be built.
ParseResult parse_query(const uint8_t* msg, size_t len, Query& q);

}  // namespace fodns::dns
