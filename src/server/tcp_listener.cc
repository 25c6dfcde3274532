#include "server/tcp_listener.h"

#include <unistd.h>

#include <cstring>

#include "dns/wire.h"
#include "xfr/outgoing.h"
#include "server/tcp_address_limit.h"
#include "server/tcp_slots.h"
#include "server/worker.h"

namespace fodns::server {
namespace {

// Stop reading while this much output waits for a slow reader.
constexpr size_t kMaxPendingOutput = 256 * 1024;

class TcpConnection final : public TcpSlot {
 public:
  explicit TcpConnection(Worker& w) : worker_(w) {}

  int accept(uv_stream_t* server) {
    uv_tcp_init(worker_.loop(), &tcp_);
    uv_timer_init(worker_.loop(), &timer_);
    tcp_.data = this;
    timer_.data = this;
    handles_open_ = 2;
    int rc = uv_accept(server, reinterpret_cast<uv_stream_t*>(&tcp_));
    if (rc != 0) return rc;
    bump(worker_.mutable_counters().tcp_accepted);
    // The client's address: for the per-address limit, the query log and transfer ACLs
    // (one syscall per connection).
    int len = sizeof peer_;
    if (uv_tcp_getpeername(&tcp_, reinterpret_cast<sockaddr*>(&peer_), &len) != 0)
      peer_.ss_family = AF_UNSPEC;  // matches no ACL prefix
    return 0;
  }

  /// After accept(): takes a slot, or refuses the client over its address's limit.
  bool admit() {
    const sockaddr* peer = reinterpret_cast<const sockaddr*>(&peer_);
    if (TcpAddressLimit* limit = worker_.config().tcp_address_limit) {
      bool refused = false;
      bucket_ = limit->acquire(peer, &refused);
      if (refused) {
        worker_.tcp_slots().refused(TcpSlots::Refusal::PerAddress, peer, now());
        return false;
      }
    }
    worker_.tcp_slots().add(this, now());
    bump(worker_.mutable_counters().tcp_open);
    arm_timer();
    return uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp_), on_alloc, on_read) == 0;
  }

  const sockaddr* peer() const { return reinterpret_cast<const sockaddr*>(&peer_); }

  void close() {
    if (closing_) return;
    closing_ = true;
    if (TcpAddressLimit* limit = worker_.config().tcp_address_limit) limit->release(bucket_);
    bucket_ = TcpAddressLimit::kNoBucket;
    if (worker_.tcp_slots().remove(this)) {
      auto& c = worker_.mutable_counters().tcp_open;
      c.store(c.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
    }
    uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), on_closed);
    uv_close(reinterpret_cast<uv_handle_t*>(&timer_), on_closed);
  }

  void evict() override { close(); }
  bool transferring() const override { return transfer_ != nullptr; }

 private:
  static void on_closed(uv_handle_t* h) {
    auto* self = static_cast<TcpConnection*>(h->data);
    if (--self->handles_open_ == 0) delete self;
  }

  uint64_t now() const { return uv_now(worker_.loop()); }

  // One timer, three deadlines. A reply the client does not take, or a message
  // begun and not finished, gets --tcp-io-timeout from the last progress (bytes
  // trickling in are not progress); between messages the idle timeout applies,
  // shorter when the worker's slots run short.
  uint64_t deadline(bool* io) const {
    *io = writing_ || message_start_ms_ != 0;
    // A secondary taking a large transfer over a slow path gets the full idle timeout per step.
    if (writing_ && transfer_) return active_ms() + worker_.config().tcp_idle_ms;
    if (writing_) return active_ms() + worker_.config().tcp_io_ms;
    if (message_start_ms_ != 0) return message_start_ms_ + worker_.config().tcp_io_ms;
    return active_ms() + worker_.tcp_slots().idle_timeout_ms();
  }

  void arm_timer() {
    bool io = false;
    uint64_t at = deadline(&io), t = now();
    uv_timer_start(&timer_, on_timer, at > t ? at - t : 0, 0);
  }

  static void on_timer(uv_timer_t* t) {
    auto* self = static_cast<TcpConnection*>(t->data);
    bool io = false;
    if (self->deadline(&io) > self->now()) {  // progress since it was armed
      self->arm_timer();
      return;
    }
    if (self->transfer_ && !self->writing_) {  // waiting for the next message of a transfer
      self->arm_timer();
      return;
    }
    bump(io ? self->worker_.mutable_counters().tcp_io_timeout
            : self->worker_.mutable_counters().tcp_idle_closed);
    self->close();
  }

  static void on_alloc(uv_handle_t* h, size_t, uv_buf_t* buf) {
    auto* self = static_cast<TcpConnection*>(h->data);
    buf->base = reinterpret_cast<char*>(self->read_buf_);
    buf->len = sizeof self->read_buf_;
  }

  static void on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
    auto* self = static_cast<TcpConnection*>(s->data);
    if (nread < 0) {
      self->close();  // EOF or error
      return;
    }
    if (nread == 0) return;
    if (self->in_.empty()) self->message_start_ms_ = self->now();
    self->in_.insert(self->in_.end(), reinterpret_cast<uint8_t*>(buf->base),
                     reinterpret_cast<uint8_t*>(buf->base) + nread);
    self->process();
    if (!self->closing_) self->arm_timer();
  }

  void process() {
    size_t pos = 0;
    uint8_t* out = scratch_;
    while (!transfer_ && in_.size() - pos >= 2) {
      size_t len = dns::get16(in_.data() + pos);
      if (in_.size() - pos - 2 < len) break;
      size_t rlen = worker_.answer(in_.data() + pos + 2, len, Transport::Tcp, out + 2,
                                   reinterpret_cast<const sockaddr*>(&peer_), &transfer_);
      pos += 2 + len;
      if (rlen == 0) continue;
      dns::put16(out, static_cast<uint16_t>(rlen));
      pending_.insert(pending_.end(), out, out + 2 + rlen);
    }
    in_.erase(in_.begin(), in_.begin() + static_cast<long>(pos));
    if (pos > 0) {
      worker_.tcp_slots().touch(this, now());
      // What is left is the start of the next message, begun now.
      message_start_ms_ = in_.empty() ? 0 : now();
    }
    flush();
    // A transfer is sent before later queries on the connection are read (RFC 5936 §4.1
    // allows either); its messages are made one write at a time, in flush().
    if ((transfer_ || pending_.size() + inflight_.size() > kMaxPendingOutput) && reading_) {
      uv_read_stop(reinterpret_cast<uv_stream_t*>(&tcp_));
      reading_ = false;
    }
  }

  void flush() {
    if (writing_ || closing_) return;
    if (pending_.empty() && transfer_) {
      if (transfer_->next(message_)) {
        pending_.resize(2);
        dns::put16(pending_.data(), static_cast<uint16_t>(message_.size()));
        pending_.insert(pending_.end(), message_.begin(), message_.end());
      } else {
        transfer_.reset();
        process();  // queries that arrived behind the transfer
        return;
      }
    }
    if (pending_.empty()) return;
    inflight_.swap(pending_);
    pending_.clear();
    uv_buf_t b = uv_buf_init(reinterpret_cast<char*>(inflight_.data()),
                             static_cast<unsigned>(inflight_.size()));
    write_.data = this;
    if (uv_write(&write_, reinterpret_cast<uv_stream_t*>(&tcp_), &b, 1, on_written) == 0) {
      writing_ = true;
    } else {
      close();
    }
  }

  static void on_written(uv_write_t* req, int status) {
    auto* self = static_cast<TcpConnection*>(req->data);
    self->writing_ = false;
    self->inflight_.clear();
    if (status < 0 || self->closing_) {
      self->close();
      return;
    }
    self->worker_.tcp_slots().touch(self, self->now());  // the client is taking its replies
    self->flush();
    if (!self->closing_) self->arm_timer();
    if (!self->reading_ && !self->transfer_ && self->pending_.size() < kMaxPendingOutput) {
      self->reading_ = true;
      uv_read_start(reinterpret_cast<uv_stream_t*>(&self->tcp_), on_alloc, on_read);
    }
  }

  Worker& worker_;
  uv_tcp_t tcp_{};
  uv_timer_t timer_{};
  uv_write_t write_{};
  sockaddr_storage peer_{};  // the client (family 0: unknown)
  uint32_t bucket_ = TcpAddressLimit::kNoBucket;  // charged in the per-address limit
  uint64_t message_start_ms_ = 0;  // first byte of a message not yet complete; 0: none
  int handles_open_ = 0;
  bool closing_ = false;
  bool writing_ = false;
  bool reading_ = true;
  std::vector<uint8_t> in_;
  std::vector<uint8_t> pending_;
  std::vector<uint8_t> inflight_;
  std::unique_ptr<xfr::TransferStream> transfer_;
  std::vector<uint8_t> message_;
  uint8_t read_buf_[16384];
  uint8_t scratch_[2 + dns::kMaxMessage];
};

}  // namespace

void close_all_tcp_connections(uv_loop_t* loop) {
  // After the listeners are closing, the only open TCP handles are connections.
  uv_walk(
      loop,
      [](uv_handle_t* h, void*) {
        if (h->type == UV_TCP && !uv_is_closing(h)) static_cast<TcpConnection*>(h->data)->close();
      },
      nullptr);
}

TcpListener::TcpListener(Worker& worker, int fd) : worker_(worker), fd_(fd) {}

int TcpListener::start() {
  int rc = uv_tcp_init(worker_.loop(), &tcp_);
  if (rc != 0) return rc;
  tcp_.data = this;
  rc = uv_tcp_open(&tcp_, fd_);
  if (rc != 0) return rc;
  open_ = true;
  return uv_listen(reinterpret_cast<uv_stream_t*>(&tcp_), 256, on_connection);
}

void TcpListener::close() {
  if (open_) {
    uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), nullptr);
    open_ = false;
  }
}

void TcpListener::on_connection(uv_stream_t* server, int status) {
  if (status < 0) return;
  auto* self = static_cast<TcpListener*>(server->data);
  TcpSlots& slots = self->worker_.tcp_slots();
  bool room = slots.make_room(uv_now(self->worker_.loop()));
  auto* conn = new TcpConnection(self->worker_);
  // Accepted even when refused: a connection left in the backlog would be retried forever.
  if (conn->accept(server) != 0) {
    conn->close();
    return;
  }
  if (!room) {
    slots.refused(TcpSlots::Refusal::Full, conn->peer(), uv_now(self->worker_.loop()));
    conn->close();
    return;
  }
  if (!conn->admit()) conn->close();
}

}  // namespace fodns::server
