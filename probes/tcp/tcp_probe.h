// TCP connect probe: the backend is alive if it accepts a TCP connection.
#pragma once

#include "probes/probe_run.h"

namespace fodns::probes {

class TcpProbe final : public RunningProbe {
 public:
  TcpProbe(uv_loop_t* loop, Target target) : loop_(loop), target_(std::move(target)) {}
  void run(Done done) override;

 private:
  uv_loop_t* loop_;
  Target target_;
};

}  // namespace fodns::probes
