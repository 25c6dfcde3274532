// TcpListener and its connections: DNS over TCP (RFC 7766). Several queries
// may arrive on one connection, pipelined; each is answered in order, the
// answers gathered into one write. Idle connections are closed after the
// configured timeout, and a worker holds a bounded number of them.
// Runs on its worker's thread only.
#pragma once

#include <uv.h>

#include <cstdint>
#include <vector>

namespace fodns::server {

class Worker;

/// Closes every open TCP connection on `loop` (at shutdown, after the listeners).
void close_all_tcp_connections(uv_loop_t* loop);

class TcpListener {
 public:
  TcpListener(Worker& worker, int fd);
  int start();
  void close();

 private:
  static void on_connection(uv_stream_t* server, int status);
  Worker& worker_;
  int fd_;
  uv_tcp_t tcp_{};
  bool open_ = false;
};

}  // namespace fodns::server
