#include "http/http_slots.h"

#include <sys/socket.h>

namespace fodns::http {

HttpSlots::~HttpSlots() {
  while (head_) {
    Conn* c = head_;
    head_ = c->next;
    delete c;
  }
}

HttpSlots::Conn* HttpSlots::opened(int fd) {
  auto* c = new Conn;  // HTTP thread, once per connection: not a DNS path
  c->fd = fd;
  c->prev = tail_;
  if (tail_) tail_->next = c;
  else head_ = c;
  tail_ = c;
  ++open_;
  for (Conn* o = head_; o && open_ > limit_; o = o->next) {
    if (o == c || o->busy || o->closing) continue;
    // libmicrohttpd sees the end of the stream on its next turn and closes it.
    ::shutdown(o->fd, SHUT_RDWR);
    o->closing = true;
    --open_;
    ++evicted_;
  }
  return c;
}

void HttpSlots::closed(Conn* c) {
  if (!c) return;
  if (!c->closing) --open_;
  if (c->heavy) --heavy_;
  if (c->prev) c->prev->next = c->next;
  else head_ = c->next;
  if (c->next) c->next->prev = c->prev;
  else tail_ = c->prev;
  delete c;
}

bool HttpSlots::begin(Conn* c, bool heavy) {
  if (!c) return true;
  if (heavy && heavy_ >= heavy_limit()) return false;
  c->busy = true;
  if (heavy && !c->heavy) {
    c->heavy = true;
    ++heavy_;
  }
  return true;
}

void HttpSlots::completed(Conn* c) {
  if (!c) return;
  c->busy = false;
  if (c->heavy) {
    c->heavy = false;
    --heavy_;
  }
}

}  // namespace fodns::http
