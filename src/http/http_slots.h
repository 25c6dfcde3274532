// HttpSlots: keeps /healthz reachable however the HTTP connections are used
// (issue 13). libmicrohttpd refuses a new connection at its limit without
// regard to what it would ask, so 128 silent or trickling clients once made
// /healthz time out for 38 s. Here libmicrohttpd's own limit is set
// kHeadroom above ours; a connection that arrives beyond ours makes room by
// closing the connection with the oldest start that has no response in flight
// (silent and half-sent requests first of all), and the heavy documents
// (/metrics, /status) may have at most `limit - kReserved` responses in flight
// at once (more get 503 at once). So there is always a connection to close for
// a newcomer, and a /healthz request is answered as soon as it arrives.
// Threading: libmicrohttpd's single internal thread only.
#pragma once

#include <cstdint>

namespace fodns::http {

class HttpSlots {
 public:
  /// Connections libmicrohttpd may hold above `limit` while the oldest idle ones close.
  static constexpr unsigned kHeadroom = 32;
  /// Connections never taken by heavy responses.
  static constexpr unsigned kReserved = 16;

  struct Conn {
    int fd = -1;
    bool busy = false;      // a response is being sent
    bool heavy = false;     // ... and it is /metrics or /status
    bool closing = false;   // shut down to make room, not yet closed by libmicrohttpd
    Conn* prev = nullptr;
    Conn* next = nullptr;
  };

  explicit HttpSlots(unsigned limit) : limit_(limit) {}
  HttpSlots(const HttpSlots&) = delete;
  HttpSlots& operator=(const HttpSlots&) = delete;
  ~HttpSlots();

  /// A new connection on `fd`; over the limit, the oldest idle one is shut down.
  Conn* opened(int fd);
  void closed(Conn* c);
  /// A request is answered on `c`; false when it is heavy and too many heavy
  /// responses are in flight (answer 503).
  bool begin(Conn* c, bool heavy);
  /// The response on `c` is sent (or the request ended).
  void completed(Conn* c);

  unsigned heavy_limit() const { return limit_ > kReserved ? limit_ - kReserved : 1; }
  uint64_t evicted() const { return evicted_; }

 private:
  unsigned limit_;
  unsigned open_ = 0;     // not closing
  unsigned heavy_ = 0;
  uint64_t evicted_ = 0;
  Conn* head_ = nullptr;  // oldest
  Conn* tail_ = nullptr;
};

}  // namespace fodns::http
