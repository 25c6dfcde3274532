// Fake UAS for the probe tests (see probe_test_util.h).
#include "probe_test_util.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace probe_test {

namespace {
char g_buf[65536];
void alloc(uv_handle_t*, size_t, uv_buf_t* b) { *b = uv_buf_init(g_buf, sizeof g_buf); }
}  // namespace

struct FakeUas::Conn {
  FakeUas* uas;
  uv_tcp_t tcp{};
  std::string in;
};

FakeUas::FakeUas(uv_loop_t* loop, Respond respond) : loop_(loop), respond_(std::move(respond)) {
  auto any = ip_port("127.0.0.1", 0);
  uv_udp_init(loop, &udp_);
  udp_.data = this;
  uv_udp_bind(&udp_, reinterpret_cast<const sockaddr*>(&any), 0);
  int len = sizeof udp_addr_;
  uv_udp_getsockname(&udp_, reinterpret_cast<sockaddr*>(&udp_addr_), &len);
  uv_udp_recv_start(&udp_, alloc, on_udp);

  uv_tcp_init(loop, &tcp_);
  tcp_.data = this;
  uv_tcp_bind(&tcp_, reinterpret_cast<const sockaddr*>(&any), 0);
  uv_listen(reinterpret_cast<uv_stream_t*>(&tcp_), 16, on_connection);
  len = sizeof tcp_addr_;
  uv_tcp_getsockname(&tcp_, reinterpret_cast<sockaddr*>(&tcp_addr_), &len);
}

FakeUas::~FakeUas() {
  int pending = 0;
  auto closed = [](uv_handle_t* h) { --*static_cast<int*>(h->data); };
  for (Conn* c : conns_) {
    if (uv_is_closing(reinterpret_cast<uv_handle_t*>(&c->tcp))) continue;
    c->tcp.data = &pending;
    ++pending;
    uv_close(reinterpret_cast<uv_handle_t*>(&c->tcp), closed);
  }
  udp_.data = tcp_.data = &pending;
  pending += 2;
  uv_close(reinterpret_cast<uv_handle_t*>(&udp_), closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), closed);
  while (pending > 0) uv_run(loop_, UV_RUN_ONCE);
  uv_run(loop_, UV_RUN_NOWAIT);  // conns closed earlier by EOF
  for (Conn* c : conns_) delete c;
}

void FakeUas::on_udp(uv_udp_t* h, ssize_t n, const uv_buf_t* buf, const sockaddr* from, unsigned) {
  auto* self = static_cast<FakeUas*>(h->data);
  if (n <= 0 || !from) return;
  std::string req(buf->base, static_cast<size_t>(n));
  self->requests.push_back(req);
  for (const auto& m : self->respond_(req, static_cast<int>(self->requests.size()))) {
    uv_buf_t b = uv_buf_init(const_cast<char*>(m.data()), static_cast<unsigned>(m.size()));
    uv_udp_try_send(h, &b, 1, from);
  }
}

void FakeUas::on_connection(uv_stream_t* server, int status) {
  auto* self = static_cast<FakeUas*>(server->data);
  if (status < 0) return;
  auto* c = new Conn{self, {}, {}};
  self->conns_.push_back(c);
  uv_tcp_init(self->loop_, &c->tcp);
  c->tcp.data = c;
  uv_accept(server, reinterpret_cast<uv_stream_t*>(&c->tcp));
  uv_read_start(reinterpret_cast<uv_stream_t*>(&c->tcp), alloc, [](uv_stream_t* s, ssize_t n, const uv_buf_t* b) {
    auto* c = static_cast<Conn*>(s->data);
    if (n < 0) {
      if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(s))) uv_close(reinterpret_cast<uv_handle_t*>(s), nullptr);
      return;
    }
    c->in.append(b->base, static_cast<size_t>(n));
    size_t end = c->in.find("\r\n\r\n");
    if (end == std::string::npos) return;
    std::string req = c->in.substr(0, end + 4);
    c->in.erase(0, end + 4);
    FakeUas* uas = c->uas;
    uas->requests.push_back(req);
    for (const auto& m : uas->respond_(req, static_cast<int>(uas->requests.size()))) {
      // Written in two pieces: the probe must reassemble the stream.
      size_t half = m.size() / 2;
      for (auto part : {m.substr(0, half), m.substr(half)}) {
        uv_buf_t buf = uv_buf_init(part.data(), static_cast<unsigned>(part.size()));
        uv_try_write(s, &buf, 1);
      }
    }
    if (uas->close_tcp_after_reply) uv_close(reinterpret_cast<uv_handle_t*>(s), nullptr);
  });
}

uint16_t closed_port(int socktype) {
  int fd = socket(AF_INET, socktype, 0);
  auto a = ip_port("127.0.0.1", 0);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(sockaddr_in));
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(reinterpret_cast<sockaddr_in*>(&a)->sin_port);
}

}  // namespace probe_test
