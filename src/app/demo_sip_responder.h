// DemoSipResponder: the demo's stand-in SIP backend (`fodns demo`; serve never uses it). It answers
// OPTIONS over UDP with a fixed status, copying Via, From, To, Call-ID and
// CSeq as RFC 3261 §8.2.6.2 requires. It can be stopped and started again,
// which is how the demo takes its primary "down": a closed port makes the
// kernel answer with ICMP port unreachable.
// Threading: the loop it was created on.
#pragma once

#include <uv.h>

#include <string>

#include "common/result.h"
#include "server/listen_address.h"

namespace fodns::app {

class DemoSipResponder {
 public:
  DemoSipResponder(uv_loop_t* loop, server::ListenAddress addr, std::string status = "200 OK");
  ~DemoSipResponder();
  DemoSipResponder(const DemoSipResponder&) = delete;
  DemoSipResponder& operator=(const DemoSipResponder&) = delete;

  Status start();
  void stop();
  bool running() const { return handle_ != nullptr; }
  const server::ListenAddress& address() const { return addr_; }
  uint64_t answered() const { return answered_; }

  /// The reply to one request, or empty if it is not an OPTIONS request.
  static std::string reply_to(std::string_view request, std::string_view status);

 private:
  static void on_recv(uv_udp_t* h, ssize_t n, const uv_buf_t* buf, const sockaddr* from, unsigned flags);

  uv_loop_t* loop_;
  server::ListenAddress addr_;
  std::string status_;
  uv_udp_t* handle_ = nullptr;  // heap: freed by its close callback
  uint64_t answered_ = 0;
  char buf_[4096];
};

}  // namespace fodns::app
