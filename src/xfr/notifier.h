// Notifier: NOTIFY (RFC 1996) to each secondary of a zone when its serial
// changes, retried with backoff until answered. Changes in a burst (a flapping
// backend, a bulk edit) are coalesced: the first change of a quiet zone goes out
// at once, later ones at most once per window, always with the newest serial.
// Threading: control loop only (its uv loop).
#pragma once

#include <sys/socket.h>
#include <uv.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "dns/rr.h"
#include "xfr/tsig.h"

namespace fodns::xfr {

struct NotifyStats {
  uint64_t sent = 0;        // messages, retries included
  uint64_t answered = 0;
  uint64_t gave_up = 0;
};

class Notifier {
 public:
  struct Target {
    std::string address;    // IP literal
    uint16_t port = 53;
  };
  Notifier(uv_loop_t* loop, uint64_t window_ms = 1000);
  ~Notifier();
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  /// The zone now serves `soa` (its serial included): tell `targets`.
  void changed(const std::string& zone, const dns::Rr& soa, std::vector<Target> targets,
               std::optional<TsigKey> key);
  /// Closes the sockets and timers (before the loop is closed).
  void close();
  const std::map<std::string, NotifyStats>& stats() const { return stats_; }

 private:
  struct Outstanding {
    sockaddr_storage addr{};
    socklen_t addr_len = 0;
    std::string text;
    uint16_t id = 0;
    int attempts = 0;
    uint64_t next_ms = 0;
    bool done = false;
  };
  struct ZoneState {
    dns::Rr soa;
    std::vector<Target> targets;
    std::optional<TsigKey> key;
    bool pending = false;         // a change waits for the window to end
    uint64_t last_round_ms = 0;
    bool ever = false;
    std::vector<Outstanding> outstanding;
  };
  void start_round(const std::string& zone, ZoneState& z, uint64_t now);
  void send(const std::string& zone, ZoneState& z, Outstanding& o);
  void arm();
  static void on_tick(uv_timer_t* t);
  static void on_recv(uv_udp_t* h, ssize_t n, const uv_buf_t* buf, const sockaddr* addr, unsigned flags);
  uv_udp_t* socket_for(int family);

  uv_loop_t* loop_;
  uint64_t window_ms_;
  uv_timer_t tick_{};
  uv_udp_t udp4_{}, udp6_{};
  bool open4_ = false, open6_ = false, closed_ = false;
  uint8_t recv_buf_[4096];
  std::map<std::string, ZoneState> zones_;
  std::map<std::string, NotifyStats> stats_;
};

}  // namespace fodns::xfr
