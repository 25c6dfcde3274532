// TcpSlots: one worker's TCP connections, oldest activity first, so that when
// slots run short the longest-idle connections are closed first (as Knot does
// with tcp-idle-timeout / tcp-io-timeout). "Activity" is a whole message read or
// a write completed: single bytes trickling in do not count, so a client that
// sends one byte every few seconds stays at the old end of the list.
//
// The idle timeout shrinks as the slots fill: the configured value up to half
// full, then linearly down to kMinIdleMs when full. When a new connection finds
// every slot taken, the oldest connection that is not sending a zone transfer
// is closed to make room. Refusals are counted by reason and logged at most
// once per kLogEveryMs per worker.
// Threading: one per worker, used on that worker's thread only.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>

#include "server/counters.h"

namespace fodns::server {

/// The part of a connection TcpSlots manages.
class TcpSlot {
 public:
  /// Closes the connection now to free its slot; it calls TcpSlots::remove().
  virtual void evict() = 0;
  /// A transfer in progress is not evicted to make room (it ends on its own).
  virtual bool transferring() const = 0;
  uint64_t active_ms() const { return active_ms_; }

 protected:
  ~TcpSlot() = default;

 private:
  friend class TcpSlots;
  TcpSlot* prev_ = nullptr;
  TcpSlot* next_ = nullptr;
  uint64_t active_ms_ = 0;
  bool listed_ = false;
};

class TcpSlots {
 public:
  static constexpr uint64_t kMinIdleMs = 500;
  static constexpr uint64_t kLogEveryMs = 10'000;
  /// How far from the oldest end make_room() looks for a connection to close.
  static constexpr int kEvictScan = 16;

  TcpSlots(size_t max, uint64_t idle_ms, WorkerCounters& counters, int worker_id)
      : max_(max), idle_ms_(idle_ms), counters_(counters), worker_id_(worker_id) {}

  size_t open() const { return open_; }
  size_t max() const { return max_; }
  /// The idle timeout at the current fill level.
  uint64_t idle_timeout_ms() const;

  void add(TcpSlot* s, uint64_t now_ms);
  /// Marks activity: moves `s` to the recent end.
  void touch(TcpSlot* s, uint64_t now_ms);
  /// False when `s` was not listed (never admitted, or already removed).
  bool remove(TcpSlot* s);

  /// Before accepting: closes connections idle past the current idle timeout,
  /// oldest first; if every slot is still taken, closes the oldest one that is
  /// not transferring. False when no slot could be freed.
  bool make_room(uint64_t now_ms);

  enum class Refusal : uint8_t { PerAddress = 0, Full = 1 };
  /// Counts a refused connection and logs it, rate-limited.
  void refused(Refusal why, const sockaddr* peer, uint64_t now_ms);

 private:
  size_t max_;
  uint64_t idle_ms_;
  WorkerCounters& counters_;
  int worker_id_;
  size_t open_ = 0;
  TcpSlot* head_ = nullptr;  // oldest activity
  TcpSlot* tail_ = nullptr;  // newest
  uint64_t last_log_ms_ = 0;
  uint64_t unlogged_[2] = {0, 0};
  bool logged_once_ = false;
};

}  // namespace fodns::server
