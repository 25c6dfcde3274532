// Shared lifetime machinery for probe runs (internal to probes/).
//
// libuv handles must stay alive until their close callback, which comes on a
// later loop iteration, possibly after the Probe was destroyed. So every run
// keeps its handles in a heap object (a Run) that deletes itself when the last
// of its handles has closed. The Probe and its Run point at each other; the
// destructor of the Probe cuts the link (abandon()), so `done` is never called
// for a Probe that is gone.
#pragma once

#include <uv.h>

#include <string>

#include "probes/probe.h"

namespace fodns::probes {

class RunningProbe;

class Run {
 public:
  Run(RunningProbe* owner, Kind kind, uv_loop_t* loop, Done done, std::chrono::milliseconds timeout);
  virtual ~Run() = default;
  Run(const Run&) = delete;
  Run& operator=(const Run&) = delete;

  /// Delivers `r` (unless abandoned) and closes every handle. Idempotent: the
  /// first result wins. After it returns the Probe may already be destroyed
  /// (`done` may drop it), so callers touch nothing but this Run afterwards.
  void finish(ProbeResult r);
  /// Like finish() but on the next loop iteration: run() never calls `done`
  /// synchronously, so callers need not expect re-entrancy.
  void finish_soon(ProbeResult r);
  /// The Probe is being destroyed: forget it and `done`, close the handles.
  void abandon();
  bool finished() const { return finished_; }

  /// Registers a handle embedded in the derived Run: its `data` points here
  /// and its close callback counts down to `delete this`.
  void track(uv_handle_t* h);
  /// The timeout timer is started by run(); on expiry it calls on_timeout().
  void start_timer();
  uint64_t elapsed_us() const { return (uv_hrtime() - start_ns_) / 1000; }
  std::chrono::milliseconds timeout() const { return timeout_; }
  uv_loop_t* loop() const { return loop_; }
  Kind kind() const { return kind_; }
  static Run* of(const uv_handle_t* h) { return static_cast<Run*>(h->data); }

 protected:
  /// Called once, from finish()/abandon(): stop reading, close own handles
  /// (the timer is closed by the base).
  virtual void close_handles() = 0;
  virtual ProbeResult timeout_result();
  void close(uv_handle_t* h);
  uint64_t start_ns_;

 private:
  static void on_timer(uv_timer_t* t);
  static void on_closed(uv_handle_t* h);

  RunningProbe* owner_;
  Kind kind_;
  uv_loop_t* loop_;
  Done done_;
  std::chrono::milliseconds timeout_;
  uv_timer_t timer_{};
  int open_handles_ = 0;
  bool finished_ = false;
  bool soon_ = false;
  ProbeResult soon_result_;
};

/// Base of the concrete probes: owns the link to the Run in flight.
class RunningProbe : public Probe {
 public:
  ~RunningProbe() override;
  bool running() const override { return run_ != nullptr; }

 protected:
  friend class Run;
  Run* run_ = nullptr;  // the run in flight; cleared by Run::finish before `done`
};

/// Maps a libuv/socket error of a connect, send or receive to an outcome:
/// ECONNREFUSED -> Refused (`refused_detail`), EHOSTUNREACH/ENETUNREACH ->
/// Unreachable, EINVAL (blackhole route), EACCES/EPERM (prohibit route, local
/// firewall) -> Unreachable, ETIMEDOUT -> Timeout, anything else -> Error
/// ("<what>: <strerror>").
ProbeResult result_from_error(int uv_err, std::string_view refused_detail, std::string_view what);
/// "timeout after 800 ms"
std::string timeout_detail(std::chrono::milliseconds t);
/// "127.0.0.1:5060" / "[::1]:5060" (port omitted when with_port is false: "::1").
std::string format_addr(const sockaddr* sa, bool with_port = true);

}  // namespace fodns::probes
