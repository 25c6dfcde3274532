// Test helpers for probes on a real libuv loop: a loop fixture, a tiny fake
// SIP UAS (UDP and TCP) on 127.0.0.1, and a blocking "run one probe" helper.
#pragma once

#include <arpa/inet.h>
#include <uv.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "probes/probe.h"

namespace probe_test {

using namespace std::chrono_literals;
using fodns::probes::ProbeResult;

struct Loop {
  uv_loop_t loop{};
  Loop() { uv_loop_init(&loop); }
  ~Loop() {
    uv_walk(&loop, [](uv_handle_t* h, void*) { if (!uv_is_closing(h)) uv_close(h, nullptr); }, nullptr);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
  }
  // Spins the loop for `d` (lets late callbacks and close callbacks happen).
  void spin(std::chrono::milliseconds d) {
    bool fired = false;
    uv_timer_t t;
    uv_timer_init(&loop, &t);
    t.data = &fired;
    uv_timer_start(&t, [](uv_timer_t* h) { *static_cast<bool*>(h->data) = true; }, static_cast<uint64_t>(d.count()), 0);
    while (!fired) uv_run(&loop, UV_RUN_ONCE);
    uv_close(reinterpret_cast<uv_handle_t*>(&t), nullptr);
    uv_run(&loop, UV_RUN_NOWAIT);
  }
};

inline sockaddr_storage ip_port(const char* ip, uint16_t port) {
  sockaddr_storage ss{};
  if (std::string(ip).find(':') != std::string::npos) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&ss);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    inet_pton(AF_INET6, ip, &in6->sin6_addr);
  } else {
    auto* in = reinterpret_cast<sockaddr_in*>(&ss);
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    inet_pton(AF_INET, ip, &in->sin_addr);
  }
  return ss;
}

inline fodns::probes::Target target_at(const sockaddr_storage& addr, fodns::probes::Kind kind,
                                       std::chrono::milliseconds timeout = 800ms) {
  fodns::probes::Target t;
  t.name = "test";
  t.addr = addr;
  t.addr_len = addr.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  t.kind = kind;
  t.timeout = timeout;
  return t;
}

struct Timed {
  std::optional<ProbeResult> result;
  double ms = 0;  // from run() to done
};

// Runs one check and spins the loop until `done` (or `limit`).
inline Timed run_once(uv_loop_t* loop, fodns::probes::Probe& p, std::chrono::milliseconds limit = 5000ms) {
  Timed t;
  uint64_t start = uv_hrtime();
  p.run([&](const ProbeResult& r) {
    t.result = r;
    t.ms = static_cast<double>(uv_hrtime() - start) / 1e6;
  });
  bool expired = false;
  uv_timer_t guard;
  uv_timer_init(loop, &guard);
  guard.data = &expired;
  uv_timer_start(&guard, [](uv_timer_t* h) { *static_cast<bool*>(h->data) = true; },
                 static_cast<uint64_t>(limit.count()), 0);
  while (!t.result && !expired) uv_run(loop, UV_RUN_ONCE);
  uv_close(reinterpret_cast<uv_handle_t*>(&guard), nullptr);
  uv_run(loop, UV_RUN_NOWAIT);
  return t;
}

// The value of header `name` in a request, "" if absent.
inline std::string header(const std::string& msg, const std::string& name) {
  auto pos = msg.find("\r\n" + name + ": ");
  if (pos == std::string::npos) return "";
  pos += name.size() + 4;
  return msg.substr(pos, msg.find("\r\n", pos) - pos);
}

// A response to `request` as a UAS builds it (RFC 3261 §8.2.6.2).
inline std::string reply_to(const std::string& request, const std::string& status, const std::string& body = "") {
  return "SIP/2.0 " + status + "\r\nVia: " + header(request, "Via") + ";received=127.0.0.1\r\nFrom: " +
         header(request, "From") + "\r\nTo: " + header(request, "To") + ";tag=fake\r\nCall-ID: " +
         header(request, "Call-ID") + "\r\nCSeq: " + header(request, "CSeq") +
         "\r\nServer: fake-uas\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

// A fake SIP UAS: a UDP socket and a TCP listener on 127.0.0.1 (ephemeral
// ports), answering every request through `respond` (a list of messages to
// send back, possibly empty).
class FakeUas {
 public:
  using Respond = std::function<std::vector<std::string>(const std::string& request, int n)>;
  FakeUas(uv_loop_t* loop, Respond respond);
  ~FakeUas();
  sockaddr_storage udp_addr() const { return udp_addr_; }
  sockaddr_storage tcp_addr() const { return tcp_addr_; }
  std::vector<std::string> requests;  // every request received, in order
  bool close_tcp_after_reply = false;

 private:
  struct Conn;
  static void on_udp(uv_udp_t* h, ssize_t n, const uv_buf_t* buf, const sockaddr* from, unsigned);
  static void on_connection(uv_stream_t* server, int status);
  uv_loop_t* loop_;
  Respond respond_;
  uv_udp_t udp_{};
  uv_tcp_t tcp_{};
  sockaddr_storage udp_addr_{}, tcp_addr_{};
  std::vector<Conn*> conns_;
};

// Respond helpers
inline FakeUas::Respond answer(std::string status) {
  return [status](const std::string& req, int) { return std::vector<std::string>{reply_to(req, status)}; };
}
inline FakeUas::Respond silent() {
  return [](const std::string&, int) { return std::vector<std::string>{}; };
}

// A port on 127.0.0.1 where nothing listens (bound, then released).
uint16_t closed_port(int socktype);

}  // namespace probe_test
