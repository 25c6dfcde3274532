// libFuzzer target: SIP replies as the network may send them to a probe.
// Exercises the libosip2-based parser, the TCP framing and the matching.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "probes/sip_options/sip_reply.h"
#include "probes/sip_options/sip_request.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  static const fodns::probes::SipRequest request = [] {
    fodns::probes::SipRequest r;
    r.branch = "z9hG4bKfuzz";
    r.call_id = "fuzz@fodns";
    r.cseq = 1;
    return r;
  }();
  auto reply = fodns::probes::parse_sip_reply(in);
  if (reply.ok()) {
    (void)fodns::probes::reply_matches(*reply, request);
    (void)fodns::probes::status_line(*reply);
  }
  // The same bytes as a TCP stream: frame, then parse each complete message.
  std::string_view rest = in;
  for (int i = 0; i < 8; ++i) {
    auto f = fodns::probes::sip_frame(rest);
    if (f.status != fodns::probes::SipFrame::Complete) break;
    (void)fodns::probes::parse_sip_reply(rest.substr(f.skip, f.length));
    rest.remove_prefix(f.skip + f.length);
  }
  return 0;
}
