#include "server/tcp_slots.h"

#include "common/log.h"
#include "server/listen_address.h"

namespace fodns::server {

uint64_t TcpSlots::idle_timeout_ms() const {
  size_t half = max_ / 2;
  if (open_ <= half || idle_ms_ <= kMinIdleMs) return idle_ms_;
  // Linear from idle_ms_ at half full to kMinIdleMs at full.
  size_t left = open_ >= max_ ? 0 : max_ - open_;
  uint64_t span = idle_ms_ - kMinIdleMs;
  return kMinIdleMs + span * left / (max_ - half);
}

void TcpSlots::add(TcpSlot* s, uint64_t now_ms) {
  s->active_ms_ = now_ms;
  s->prev_ = tail_;
  s->next_ = nullptr;
  if (tail_) tail_->next_ = s;
  else head_ = s;
  tail_ = s;
  s->listed_ = true;
  ++open_;
}

bool TcpSlots::remove(TcpSlot* s) {
  if (!s->listed_) return false;
  if (s->prev_) s->prev_->next_ = s->next_;
  else head_ = s->next_;
  if (s->next_) s->next_->prev_ = s->prev_;
  else tail_ = s->prev_;
  s->prev_ = s->next_ = nullptr;
  s->listed_ = false;
  --open_;
  return true;
}

void TcpSlots::touch(TcpSlot* s, uint64_t now_ms) {
  if (!s->listed_) return;
  remove(s);
  add(s, now_ms);
}

bool TcpSlots::make_room(uint64_t now_ms) {
  // The list is ordered by activity, so the expired ones are all at the old end.
  uint64_t idle = idle_timeout_ms();
  while (head_ && now_ms - head_->active_ms_ >= idle && !head_->transferring()) {
    bump(counters_.tcp_idle_closed);  // its own timer, armed with a longer timeout, had not fired
    head_->evict();
  }
  if (open_ < max_) return true;
  TcpSlot* s = head_;
  for (int i = 0; s && i < kEvictScan; ++i, s = s->next_) {
    if (s->transferring()) continue;
    bump(counters_.tcp_evicted);
    s->evict();
    return true;
  }
  return false;
}

void TcpSlots::refused(Refusal why, const sockaddr* peer, uint64_t now_ms) {
  bump(counters_.tcp_refused[static_cast<size_t>(why)]);
  ++unlogged_[static_cast<size_t>(why)];
  if (logged_once_ && now_ms - last_log_ms_ < kLogEveryMs) return;
  log::warn("msg=\"tcp connections refused\" worker={} per_address={} full={} last_client={} "
            "open={} max={}",
            worker_id_, unlogged_[0], unlogged_[1],
            peer ? format_address(peer) : std::string("unknown"), open_, max_);
  unlogged_[0] = unlogged_[1] = 0;
  last_log_ms_ = now_ms;
  logged_once_ = true;
}

}  // namespace fodns::server
