// SIP OPTIONS probe over UDP or TCP (see README.md in this directory).
#pragma once

#include "probes/probe_run.h"

namespace fodns::probes {

struct UdpChannel;

class SipOptionsProbe final : public RunningProbe {
 public:
  SipOptionsProbe(uv_loop_t* loop, Target target);
  ~SipOptionsProbe() override;
  void run(Done done) override;

  /// RFC 3261 Timer A (T1): the one UDP retransmission, if the timeout allows.
  static constexpr std::chrono::milliseconds kRetransmitAfter{500};

 private:
  uv_loop_t* loop_;
  Target target_;
  std::string request_uri_;
  uint32_t cseq_ = 0;  // grows per run, so even a reused branch could not match an older run
  UdpChannel* chan_ = nullptr;  // UDP: the connected socket every run uses; freed by its close callback
};

}  // namespace fodns::probes
