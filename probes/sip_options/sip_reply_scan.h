// A fast path for parse_sip_reply: the replies a SIP server sends to our
// OPTIONS in the plain form (Kamailio's sl_send_reply writes it; a reply with
// a Contact, as Asterisk's pjsip sends, is not plain), read in one pass
// without allocating per header.
//
// libosip2 stays the parser of record. The scanner accepts only a strict
// subset of what libosip2 accepts and must read the same status, reason,
// Call-ID, top Via branch and CSeq from it; for anything else it declines and
// libosip2 decides. test/fuzz/fuzz_sip_reply.cc checks exactly that on every
// input (it aborts if the scanner accepts what libosip2 rejects or reads it
// differently). Why: libosip2 parses every header into structures, about
// 8 us a reply, a fifth of the control loop's CPU with 10,000 backends
// probed every second (perf record on the control loop during
// tools/bench/scale.sh --parts a).
#pragma once

#include <optional>
#include <string_view>

#include "probes/sip_options/sip_reply.h"

namespace fodns::probes {

/// The reply read from `bytes` if it is in the plain form, nullopt otherwise
/// (nullopt says nothing about validity: ask libosip2).
std::optional<SipReply> scan_plain_sip_reply(std::string_view bytes);

/// parse_sip_reply without the fast path: libosip2 only (for the fuzz target's cross-check).
Result<SipReply> parse_sip_reply_osip(std::string_view bytes);

}  // namespace fodns::probes
