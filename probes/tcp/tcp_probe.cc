// TCP connect probe: connect, report, close. Nothing is written: the handshake
// alone shows the service listens, and an immediate close costs it nothing.
#include "probes/tcp/tcp_probe.h"

#include "common/assert.h"
#include "common/log.h"
#include "probes/tcp_connect.h"

namespace fodns::probes {

namespace {

class TcpRun final : public Run {
 public:
  using Run::Run;
  uv_tcp_t tcp{};
  uv_connect_t connect_req{};

  void close_handles() override { close(reinterpret_cast<uv_handle_t*>(&tcp)); }

  static void on_connect(uv_connect_t* req, int status) {
    auto* self = static_cast<TcpRun*>(static_cast<Run*>(req->data));
    if (connect_ended(*self, status)) return;
    ProbeResult r;
    r.outcome = Outcome::Ok;
    r.rtt = std::chrono::microseconds(self->elapsed_us());
    r.detail = "connected";
    self->finish(std::move(r));
  }
};

}  // namespace

void TcpProbe::run(Done done) {
  FODNS_BUG(run_ == nullptr);  // the runner checks running() first
  if (run_) return;
  auto* r = new TcpRun(this, Kind::Tcp, loop_, std::move(done), target_.timeout);  // deletes itself on close
  run_ = r;
  start_tcp_connect(*r, loop_, r->tcp, r->connect_req, reinterpret_cast<const sockaddr*>(&target_.addr),
                    TcpRun::on_connect);
}

}  // namespace fodns::probes
