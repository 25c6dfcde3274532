// Parsing of SIP responses to our OPTIONS, and framing of SIP over TCP.
// Input is whatever the network sends: every function here accepts any bytes
// and never throws, asserts or reads out of bounds (fuzzed by
// test/fuzz/fuzz_sip_reply.cc).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace fodns::probes {

struct SipRequest;

struct SipReply {
  int status = 0;            // 100-699
  std::string reason;        // reason phrase, may be empty
  std::string call_id;       // "number@host" or "number"
  std::string branch;        // branch parameter of the top Via, may be empty
  std::string cseq_method;   // "OPTIONS"
  uint32_t cseq = 0;
};

/// Larger messages are refused unparsed: a reply to OPTIONS is a few hundred bytes.
inline constexpr size_t kMaxSipMessage = 65535;

/// Parses one SIP response with libosip2. Requests, unparseable bytes and
/// responses without a status in 100-699, a Call-ID, a Via or a CSeq give an
/// error whose message says what is wrong ("not a SIP response", "no Call-ID").
Result<SipReply> parse_sip_reply(std::string_view bytes);

/// Whether `reply` answers `request`: same top Via branch, Call-ID, CSeq
/// number and method OPTIONS (RFC 3261 §17.1.3 matches client transactions
/// by branch and CSeq method; the Call-ID check guards against branch reuse).
bool reply_matches(const SipReply& reply, const SipRequest& request);

/// "200 OK" / "503 Service Unavailable" / "503" (reason empty).
std::string status_line(const SipReply& reply);

/// Framing of a SIP message in a TCP byte stream (RFC 3261 §18.3).
struct SipFrame {
  enum Status { Incomplete, Complete, Bad } status = Incomplete;
  size_t skip = 0;    // leading CRLF keep-alives (RFC 5626 §3.5.1) to drop first
  size_t length = 0;  // Complete: bytes of the message after `skip` (headers + Content-Length body)
};
/// Looks for one complete message at the start of `stream`. Bad: headers over
/// 16 KiB, a body over kMaxSipMessage or a Content-Length that is no number.
SipFrame sip_frame(std::string_view stream);

}  // namespace fodns::probes
