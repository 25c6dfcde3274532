// Builds the SIP OPTIONS request of a probe (RFC 3261 §8.1.1, §11).
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>

#include "probes/probe.h"

namespace fodns::probes {

struct SipRequest {
  std::string text;     // the whole message, ready to send
  std::string branch;   // Via branch, "z9hG4bK" + random hex
  std::string call_id;  // "<random hex>@fodns"
  uint32_t cseq = 0;
};

/// "sip:ADDR:PORT" for `addr` (IPv6 in brackets: "sip:[2001:db8::1]:5060").
std::string default_request_uri(const sockaddr* addr);

/// The OPTIONS requests to `request_uri` sent from `local` (the address and
/// port the socket is bound to: they go into Via, From and Contact) over
/// `transport`. The fixed text is formatted once; make() only fills in the
/// branch, From tag, Call-ID and CSeq (formatting the whole message per probe
/// was a tenth of the control loop's CPU with 10,000 backends).
class SipRequestTemplate {
 public:
  SipRequestTemplate() = default;
  SipRequestTemplate(const std::string& request_uri, SipTransport transport, const sockaddr* local);
  /// Every call draws a fresh branch, Call-ID and From tag.
  SipRequest make(uint32_t cseq) const;

 private:
  // The message is piece[0] branch piece[1] tag piece[2] call-id piece[3] cseq piece[4].
  std::string piece_[5];
};

/// SipRequestTemplate(request_uri, transport, local).make(cseq).
SipRequest build_options_request(const std::string& request_uri, SipTransport transport, const sockaddr* local,
                                 uint32_t cseq);

/// `n` random lowercase hex digits from a per-thread generator seeded from
/// std::random_device (the kernel CSPRNG): unguessable enough that an
/// off-path sender cannot forge a reply, and cheap at 10,000 probes/s.
std::string random_hex(size_t n);

}  // namespace fodns::probes
