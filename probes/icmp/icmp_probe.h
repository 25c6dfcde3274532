// ICMP echo probe (IPv4 and IPv6), see README.md in this directory.
#pragma once

#include "probes/probe_run.h"

namespace fodns::probes {

class IcmpProbe final : public RunningProbe {
 public:
  IcmpProbe(uv_loop_t* loop, Target target);
  void run(Done done) override;

 private:
  uv_loop_t* loop_;
  Target target_;
  uint16_t id_;       // echo identifier on raw sockets (ping sockets: the kernel picks it)
  uint16_t seq_ = 0;  // grows per run
};

/// Which socket ICMP probes use for `family`, as found by trying:
/// 0: none works, SOCK_DGRAM (unprivileged "ping socket") or SOCK_RAW.
int icmp_socket_type(int family);

}  // namespace fodns::probes
