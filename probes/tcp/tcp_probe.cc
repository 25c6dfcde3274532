// TCP connect probe: connect, report, close. Nothing is written: the handshake
// alone shows the service listens, and an immediate close costs it nothing.
#include "probes/tcp/tcp_probe.h"

#include "common/assert.h"
#include "common/log.h"

namespace fodns::probes {

namespace {

class TcpRun final : public Run {
 public:
  using Run::Run;
  uv_tcp_t tcp{};
  uv_connect_t connect_req{};

  void close_handles() override { close(reinterpret_cast<uv_handle_t*>(&tcp)); }

  static void on_connect(uv_connect_t* req, int status) {
    auto* self = static_cast<TcpRun*>(req->data);
    // UV_ECANCELED: the handle was closed by finish()/abandon(), nothing to report.
    if (status == UV_ECANCELED || self->finished()) return;
    if (status == 0) {
      ProbeResult r;
      r.outcome = Outcome::Ok;
      r.rtt = std::chrono::microseconds(self->elapsed_us());
      r.detail = "connected";
      self->finish(std::move(r));
    } else {
      self->finish(result_from_error(status, "TCP connection refused", "TCP connect"));
    }
  }
};

}  // namespace

void TcpProbe::run(Done done) {
  FODNS_BUG(run_ == nullptr);  // the runner checks running() first
  if (run_) return;
  auto* r = new TcpRun(this, Kind::Tcp, loop_, std::move(done), target_.timeout);  // deletes itself on close
  run_ = r;
  r->start_timer();
  if (int err = uv_tcp_init(loop_, &r->tcp); err != 0) {
    r->finish_soon(result_from_error(err, "", "TCP socket"));
    return;
  }
  r->track(reinterpret_cast<uv_handle_t*>(&r->tcp));
  r->connect_req.data = r;
  int err = uv_tcp_connect(&r->connect_req, &r->tcp, reinterpret_cast<const sockaddr*>(&target_.addr),
                           TcpRun::on_connect);
  // connect(2) may fail at once (no route): report on the next iteration, never from inside run().
  if (err != 0) r->finish_soon(result_from_error(err, "TCP connection refused", "TCP connect"));
}

}  // namespace fodns::probes
