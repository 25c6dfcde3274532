#include "probes/tcp_connect.h"

namespace fodns::probes {

void start_tcp_connect(Run& run, uv_loop_t* loop, uv_tcp_t& tcp, uv_connect_t& req, const sockaddr* dest,
                       uv_connect_cb on_connect) {
  run.start_timer();
  if (int err = uv_tcp_init(loop, &tcp); err != 0) {
    run.finish_soon(result_from_error(err, "", "TCP socket"));
    return;
  }
  run.track(reinterpret_cast<uv_handle_t*>(&tcp));
  req.data = &run;
  // connect(2) may fail at once (no route).
  if (int err = uv_tcp_connect(&req, &tcp, dest, on_connect); err != 0)
    run.finish_soon(result_from_error(err, "TCP connection refused", "TCP connect"));
}

bool connect_ended(Run& run, int status) {
  // UV_ECANCELED: the handle was closed by finish()/abandon(), nothing to report.
  if (status == UV_ECANCELED || run.finished()) return true;
  if (status == 0) return false;
  run.finish(result_from_error(status, "TCP connection refused", "TCP connect"));
  return true;
}

}  // namespace fodns::probes
