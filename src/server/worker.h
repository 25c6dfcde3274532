// Worker: one DNS worker thread with its own libuv loop and its own UDP and
// TCP sockets (SO_REUSEPORT). It answers from `current_`, the snapshot the
// Publisher last handed it; it never touches SQLite, never blocks, never logs
// per query (except the queries --log-queries samples). Threading: start()/stop() are called from the control thread;
// everything else runs on the worker's own thread.
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "common/result.h"
#include "server/answer_guard.h"
#include "server/cookie_board.h"
#include "server/counters.h"
#include "server/publisher.h"
#include "server/tcp_address_limit.h"
#include "server/tcp_slots.h"
#include "xfr/outgoing.h"
#include "server/query_log.h"
#include "zone/zone_snapshot.h"

namespace fodns::server {

struct WorkerConfig {
  std::vector<int> udp_fds;     // owned by the worker from start()
  std::vector<int> tcp_fds;     // listening sockets
  uint64_t tcp_idle_ms = 10000; // RFC 7766 §6.2.3: close idle connections, keep them a few seconds
  uint64_t tcp_io_ms = 2000;    // a whole message must arrive (a reply be taken) within this
  size_t max_tcp_connections = 1024;
  TcpAddressLimit* tcp_address_limit = nullptr;  // shared by all workers; null: no per-address limit
  uint32_t log_queries_every = 0;  // --log-queries: log one query in N; 0 = none
  RrlConfig rrl;                   // response rate limiting (UDP only)
  CookieBoard* cookies = nullptr;  // DNS cookie secrets; null: cookies ignored
};

class UdpSocket;
class TcpListener;

class Worker {
 public:
  Worker(int id, Publisher& publisher, WorkerConfig config);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  Status start();
  /// Stops the loop, closes every socket and joins the thread.
  void stop();

  const WorkerCounters& counters() const { return counters_; }
  int id() const { return id_; }

  // Used by the listeners on this worker's thread.
  uv_loop_t* loop() { return &loop_; }
  const WorkerConfig& config() const { return config_; }
  WorkerCounters& mutable_counters() { return counters_; }
  TcpSlots& tcp_slots() { return tcp_slots_; }
  /// Parses and answers one query into `out`; returns the response length (0: no reply).
  /// `peer` (may be null) is the client: for the sampled query log, and for AXFR/IXFR
  /// checked against the zone's ACL; over TCP an allowed transfer is returned in
  /// `*stream` (and 0), to be sent message by message.
  size_t answer(const uint8_t* msg, size_t len, Transport transport, uint8_t* out,
                const sockaddr* peer, std::unique_ptr<xfr::TransferStream>* stream = nullptr);

 private:
  size_t answer_transfer(const dns::Query& q, Transport transport, uint8_t* out, const sockaddr* peer,
                         std::unique_ptr<xfr::TransferStream>* stream);
  static void thread_main(void* arg);
  static void on_wake(uv_async_t* h);
  static void on_stop(uv_async_t* h);
  static void on_cookie_secrets(uv_async_t* h);
  static void on_rrl_tick(uv_timer_t* h);

  int id_;
  Publisher& publisher_;
  WorkerConfig config_;
  uv_loop_t loop_{};
  uv_thread_t thread_{};
  uv_async_t wake_{};
  uv_async_t stop_{};
  bool started_ = false;
  bool running_ = false;
  zone::SnapshotPtr current_;
  std::vector<std::unique_ptr<UdpSocket>> udp_;
  std::vector<std::unique_ptr<TcpListener>> tcp_;
  WorkerCounters counters_;
  TcpSlots tcp_slots_;
  QuerySampler sampler_;
  AnswerGuard guard_;
  uv_async_t cookie_wake_{};
  uv_timer_t rrl_tick_{};  // reports rate-limited prefixes in the log, off the answer path
  std::vector<RrlEpisode> episodes_;
  TransferLogBudget transfer_log_;  // every AXFR/IXFR is logged, within this budget
};

}  // namespace fodns::server
