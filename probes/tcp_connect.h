// The TCP connect sequence shared by the TCP probe and SIP OPTIONS over TCP:
// start the run's timeout, open the socket, connect, and report a connect
// that failed or was cancelled.
// Threading: the probe's loop.
#pragma once

#include <uv.h>

#include "probes/probe_run.h"

namespace fodns::probes {

/// Starts `run`'s timeout (it covers the connect and whatever follows), opens
/// `tcp` and connects it to `dest`; `on_connect` gets `req` with data == &run.
/// A failure to start is reported on the next loop iteration, never from
/// inside Probe::run().
void start_tcp_connect(Run& run, uv_loop_t* loop, uv_tcp_t& tcp, uv_connect_t& req, const sockaddr* dest,
                       uv_connect_cb on_connect);

/// For a connect callback: true when the run has nothing more to do, because
/// it was cancelled or finished already, or the connect failed (reported).
bool connect_ended(Run& run, int status);

}  // namespace fodns::probes
