#include "server/udp_socket.h"

#include <unistd.h>

#include <cerrno>

#include "server/socket_opts.h"
#include "server/worker.h"

namespace fodns::server {

UdpSocket::UdpSocket(Worker& worker, int fd) : worker_(worker), fd_(fd) {
  for (int i = 0; i < kBatch; ++i) {
    in_iov_[i] = {in_[i], kMaxQuery};
    in_msgs_[i].msg_hdr.msg_iov = &in_iov_[i];
    in_msgs_[i].msg_hdr.msg_iovlen = 1;
  }
}

UdpSocket::~UdpSocket() {
  if (fd_ >= 0) ::close(fd_);
}

int UdpSocket::start() {
  pktinfo_ = enable_pktinfo_if_wildcard(fd_);
  int rc = uv_poll_init(worker_.loop(), &poll_, fd_);
  if (rc != 0) return rc;
  poll_.data = this;
  open_ = true;
  return uv_poll_start(&poll_, UV_READABLE, on_readable);
}

void UdpSocket::close() {
  if (open_) {
    uv_close(reinterpret_cast<uv_handle_t*>(&poll_), nullptr);
    open_ = false;
  }
}

void UdpSocket::on_readable(uv_poll_t* h, int status, int) {
  if (status < 0) return;
  static_cast<UdpSocket*>(h->data)->drain();
}

void UdpSocket::drain() {
  for (int round = 0; round < kMaxRounds; ++round) {
    for (int i = 0; i < kBatch; ++i) {
      in_msgs_[i].msg_hdr.msg_name = &peers_[i];
      in_msgs_[i].msg_hdr.msg_namelen = sizeof(sockaddr_storage);
      in_msgs_[i].msg_hdr.msg_flags = 0;
      in_msgs_[i].msg_hdr.msg_control = pktinfo_ ? in_control_[i] : nullptr;
      in_msgs_[i].msg_hdr.msg_controllen = pktinfo_ ? kPktinfoControlLen : 0;
    }
    int n = recvmmsg(fd_, in_msgs_, kBatch, MSG_DONTWAIT, nullptr);
    if (n <= 0) return;  // EAGAIN: drained; other errors (ICMP errors queued) are not ours to act on
    int out = 0;
    for (int i = 0; i < n; ++i) {
      size_t len = in_msgs_[i].msg_len;
      if (in_msgs_[i].msg_hdr.msg_flags & MSG_TRUNC) len = 0;  // oversized: treated as malformed
      size_t rlen = worker_.answer(in_[i], len, Transport::Udp, out_[out],
                                   reinterpret_cast<const sockaddr*>(&peers_[i]));
      if (rlen == 0) continue;
      out_iov_[out] = {out_[out], rlen};
      out_msgs_[out].msg_hdr = {};
      out_msgs_[out].msg_hdr.msg_name = &peers_[i];
      out_msgs_[out].msg_hdr.msg_namelen = in_msgs_[i].msg_hdr.msg_namelen;
      out_msgs_[out].msg_hdr.msg_iov = &out_iov_[out];
      out_msgs_[out].msg_hdr.msg_iovlen = 1;
      if (pktinfo_) {
        size_t clen = reply_source_control(in_msgs_[i].msg_hdr, out_control_[out]);
        out_msgs_[out].msg_hdr.msg_control = clen ? out_control_[out] : nullptr;
        out_msgs_[out].msg_hdr.msg_controllen = clen;
      }
      ++out;
    }
    int sent = 0;
    while (sent < out) {
      int r = sendmmsg(fd_, out_msgs_ + sent, static_cast<unsigned>(out - sent), MSG_DONTWAIT);
      if (r <= 0) {
        if (r < 0 && errno == EINTR) continue;
        // Skip the message the kernel refused (e.g. an unreachable peer) and go on.
        bump(worker_.mutable_counters().dropped_send);
        ++sent;
        continue;
      }
      sent += r;
    }
    if (n < kBatch) return;
  }
}

}  // namespace fodns::server
