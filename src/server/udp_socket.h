// UdpSocket: a UDP socket served in batches. libuv tells us the socket is
// readable (uv_poll); we drain it with recvmmsg and answer with one sendmmsg
// per batch, as the fastest authoritative servers do (0.1-0.3 syscalls per
// query instead of 2). Runs on its worker's thread only.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <uv.h>

#include <cstdint>

#include "server/reply_source.h"
#include "zone/responder.h"

namespace fodns::server {

class Worker;

class UdpSocket {
 public:
  UdpSocket(Worker& worker, int fd);
  ~UdpSocket();
  int start();
  void close();

 private:
  static constexpr int kBatch = 32;
  static constexpr int kMaxRounds = 8;       // batches per wake-up, so TCP gets its turn
  static constexpr size_t kMaxQuery = 4096;  // larger UDP queries are malformed for us

  static void on_readable(uv_poll_t* h, int status, int events);
  void drain();

  Worker& worker_;
  int fd_;
  uv_poll_t poll_{};
  bool open_ = false;
  bool pktinfo_ = false;  // wildcard socket: replies leave from the queried address (reply_source.h)
  mmsghdr in_msgs_[kBatch]{};
  iovec in_iov_[kBatch]{};
  sockaddr_storage peers_[kBatch]{};
  mmsghdr out_msgs_[kBatch]{};
  iovec out_iov_[kBatch]{};
  alignas(64) uint8_t in_[kBatch][kMaxQuery];
  alignas(64) uint8_t out_[kBatch][zone::kUdpPayloadLimit];
  alignas(cmsghdr) uint8_t in_control_[kBatch][kPktinfoControlLen];
  alignas(cmsghdr) uint8_t out_control_[kBatch][kPktinfoControlLen];
};

}  // namespace fodns::server
