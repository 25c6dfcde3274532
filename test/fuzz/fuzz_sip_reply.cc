// libFuzzer target: SIP replies as the network may send them to a probe.
// Exercises the parser (fast path and libosip2), the TCP framing and the
// matching, and checks the fast path's contract (sip_reply_scan.h): whatever
// it accepts, libosip2 accepts too and reads the same way.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "probes/sip_options/sip_reply.h"
#include "probes/sip_options/sip_reply_scan.h"
#include "probes/sip_options/sip_request.h"

namespace {
void cross_check(std::string_view in) {
  auto fast = fodns::probes::scan_plain_sip_reply(in);
  if (!fast) return;
  auto full = fodns::probes::parse_sip_reply_osip(in);
  const char* diff = nullptr;
  if (!full.ok()) diff = "libosip2 rejects it";
  else if (full->status != fast->status) diff = "status";
  else if (full->reason != fast->reason) diff = "reason";
  else if (full->call_id != fast->call_id) diff = "Call-ID";
  else if (full->branch != fast->branch) diff = "branch";
  else if (full->cseq != fast->cseq) diff = "CSeq number";
  else if (full->cseq_method != fast->cseq_method) diff = "CSeq method";
  if (diff) {
    std::fprintf(stderr, "fast path and libosip2 disagree (%s) on:\n%.*s\n", diff, static_cast<int>(in.size()),
                 in.data());
    std::abort();
  }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  static const fodns::probes::SipRequest request = [] {
    fodns::probes::SipRequest r;
    r.branch = "z9hG4bKfuzz";
    r.call_id = "fuzz@fodns";
    r.cseq = 1;
    return r;
  }();
  cross_check(in);
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
