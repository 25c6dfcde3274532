#include "app/demo_sip_responder.h"

#include <cstring>
#include <string_view>

namespace fodns::app {

DemoSipResponder::DemoSipResponder(uv_loop_t* loop, server::ListenAddress addr, std::string status)
    : loop_(loop), addr_(std::move(addr)), status_(std::move(status)) {}

DemoSipResponder::~DemoSipResponder() { stop(); }

Status DemoSipResponder::start() {
  if (handle_) return ok_status();
  auto* h = new uv_udp_t;
  uv_udp_init(loop_, h);
  h->data = this;
  int rc = uv_udp_bind(h, reinterpret_cast<const sockaddr*>(&addr_.addr), UV_UDP_REUSEADDR);
  if (rc == 0) rc = uv_udp_recv_start(h, [](uv_handle_t* hh, size_t, uv_buf_t* b) {
      auto* self = static_cast<DemoSipResponder*>(hh->data);
      *b = uv_buf_init(self->buf_, sizeof self->buf_);
    }, on_recv);
  if (rc != 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(h), [](uv_handle_t* hh) { delete reinterpret_cast<uv_udp_t*>(hh); });
    return make_error("SIP responder on {}: {}", addr_.text, uv_strerror(rc));
  }
  handle_ = h;
  return ok_status();
}

void DemoSipResponder::stop() {
  if (!handle_) return;
  handle_->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(handle_), [](uv_handle_t* hh) { delete reinterpret_cast<uv_udp_t*>(hh); });
  handle_ = nullptr;
}

std::string DemoSipResponder::reply_to(std::string_view req, std::string_view status) {
  if (req.substr(0, 8) != "OPTIONS ") return {};
  std::string out = "SIP/2.0 " + std::string(status) + "\r\n";
  size_t pos = req.find("\r\n");
  while (pos != std::string_view::npos && pos + 2 < req.size()) {
    size_t end = req.find("\r\n", pos + 2);
    if (end == std::string_view::npos || end == pos + 2) break;
    std::string_view line = req.substr(pos + 2, end - pos - 2);
    size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      std::string name(line.substr(0, colon));
      while (!name.empty() && name.back() == ' ') name.pop_back();
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      // Long and compact header forms (RFC 3261 §7.3.3).
      for (const char* h : {"via", "v", "from", "f", "to", "t", "call-id", "i", "cseq"}) {
        if (name == h) {
          out.append(line).append("\r\n");
          break;
        }
      }
    }
    pos = end;
  }
  out += "Server: fodns-demo\r\nContent-Length: 0\r\n\r\n";
  return out;
}

void DemoSipResponder::on_recv(uv_udp_t* h, ssize_t n, const uv_buf_t* buf, const sockaddr* from, unsigned) {
  auto* self = static_cast<DemoSipResponder*>(h->data);
  if (!self || n <= 0 || !from) return;
  std::string reply = reply_to(std::string_view(buf->base, static_cast<size_t>(n)), self->status_);
  if (reply.empty()) return;
  uv_buf_t b = uv_buf_init(reply.data(), static_cast<unsigned>(reply.size()));
  if (uv_udp_try_send(h, &b, 1, from) > 0) ++self->answered_;
}

}  // namespace fodns::app
