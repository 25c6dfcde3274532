#include "server/worker.h"

#include <signal.h>
#include <unistd.h>

#include <cstring>
#include <ctime>

#include "common/log.h"
#include "dns/query.h"
#include "dns/wire.h"
#include "server/tcp_listener.h"
#include "server/udp_socket.h"
#include "xfr/signed_query.h"
#include "zone/responder.h"

namespace fodns::server {

Worker::Worker(int id, Publisher& publisher, WorkerConfig config)
    : id_(id),
      publisher_(publisher),
      config_(std::move(config)),
      tcp_slots_(config_.max_tcp_connections, config_.tcp_idle_ms, counters_, id),
      sampler_(config_.log_queries_every),
      guard_(config_.rrl, counters_) {}

Worker::~Worker() {
  stop();
  if (!started_) {
    for (int fd : config_.udp_fds) ::close(fd);
    for (int fd : config_.tcp_fds) ::close(fd);
  }
}

Status Worker::start() {
  // A client that resets its TCP connection must not kill the process with SIGPIPE
  // when we write to it: ignored before the first listener can accept (issue 14).
  signal(SIGPIPE, SIG_IGN);
  if (int rc = uv_loop_init(&loop_); rc != 0) return make_error("uv_loop_init: {}", uv_strerror(rc));
  uv_async_init(&loop_, &wake_, on_wake);
  uv_async_init(&loop_, &stop_, on_stop);
  uv_async_init(&loop_, &cookie_wake_, on_cookie_secrets);
  uv_timer_init(&loop_, &rrl_tick_);
  wake_.data = this;
  stop_.data = this;
  cookie_wake_.data = this;
  rrl_tick_.data = this;
  if (guard_.limiter().enabled()) uv_timer_start(&rrl_tick_, on_rrl_tick, 1000, 1000);
  started_ = true;
  for (int fd : config_.udp_fds) {
    udp_.push_back(std::make_unique<UdpSocket>(*this, fd));
    if (int rc = udp_.back()->start(); rc != 0) return make_error("udp poll: {}", uv_strerror(rc));
  }
  for (int fd : config_.tcp_fds) {
    tcp_.push_back(std::make_unique<TcpListener>(*this, fd));
    if (int rc = tcp_.back()->start(); rc != 0) return make_error("tcp listen: {}", uv_strerror(rc));
  }
  current_ = publisher_.latest();
  publisher_.subscribe(&wake_);
  if (config_.cookies) {
    if (auto s = config_.cookies->latest()) guard_.set_secrets(*s);
    config_.cookies->subscribe(&cookie_wake_);
  }
  if (int rc = uv_thread_create(&thread_, thread_main, this); rc != 0) {
    publisher_.unsubscribe(&wake_);
    if (config_.cookies) config_.cookies->unsubscribe(&cookie_wake_);
    return make_error("cannot start worker thread: {}", uv_strerror(rc));
  }
  running_ = true;
  return ok_status();
}

void Worker::stop() {
  if (!running_) return;
  publisher_.unsubscribe(&wake_);
  if (config_.cookies) config_.cookies->unsubscribe(&cookie_wake_);
  uv_async_send(&stop_);
  uv_thread_join(&thread_);
  running_ = false;
  uv_loop_close(&loop_);
}

void Worker::thread_main(void* arg) {
  auto* self = static_cast<Worker*>(arg);
  try {
    uv_run(&self->loop_, UV_RUN_DEFAULT);
  } catch (const std::exception& e) {
    // Nothing on the query path throws; this is the last line of defence (STYLE.md §6).
    log::error("msg=\"worker stopped by an exception\" worker={} error={}", self->id_,
               log::quote(e.what()));
  }
}

void Worker::on_wake(uv_async_t* h) {
  auto* self = static_cast<Worker*>(h->data);
  self->current_ = self->publisher_.latest();
}

void Worker::on_stop(uv_async_t* h) {
  auto* self = static_cast<Worker*>(h->data);
  for (auto& u : self->udp_) u->close();
  for (auto& t : self->tcp_) t->close();
  close_all_tcp_connections(&self->loop_);
  uv_close(reinterpret_cast<uv_handle_t*>(&self->wake_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&self->stop_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&self->cookie_wake_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&self->rrl_tick_), nullptr);
}

void Worker::on_cookie_secrets(uv_async_t* h) {
  auto* self = static_cast<Worker*>(h->data);
  if (auto s = self->config_.cookies->latest()) self->guard_.set_secrets(*s);
}

void Worker::on_rrl_tick(uv_timer_t* h) {
  auto* self = static_cast<Worker*>(h->data);
  self->episodes_.clear();
  self->guard_.limiter().collect_episodes(uv_now(&self->loop_), &self->episodes_);
  for (const auto& e : self->episodes_) {
    if (e.started) {
      log::warn("msg=\"rate limiting a client prefix\" prefix={} worker={} limited={} slipped={}",
                e.prefix, self->id_, e.limited, e.slipped);
    } else {
      log::info("msg=\"stopped rate limiting a client prefix\" prefix={} worker={} limited={} "
                "slipped={}", e.prefix, self->id_, e.limited, e.slipped);
    }
  }
}

size_t Worker::answer(const uint8_t* msg, size_t len, Transport transport, uint8_t* out,
                      const sockaddr* peer, std::unique_ptr<xfr::TransferStream>* stream) {
  dns::Query q;
  dns::ParseResult parsed = dns::parse_query(msg, len, q);
  if (q.why != dns::Malformed::None) bump(counters_.malformed[static_cast<size_t>(q.why)]);
  if (parsed == dns::ParseResult::Ok) {
    bump(counters_.queries[static_cast<size_t>(transport)]);
    bump(counters_.qtypes[qtype_bucket(q.qtype)]);
  }
  if (parsed == dns::ParseResult::Ok && q.qclass == dns::kClassIn &&
      (q.qtype == dns::type::kAxfr || q.qtype == dns::type::kIxfr) && peer)
    return answer_transfer(q, transport, out, peer, stream);
  guard_.check(q, parsed == dns::ParseResult::Ok ? peer : nullptr);  // null: no cookie
  zone::ResponseInfo info;
  size_t rlen = parsed == dns::ParseResult::Ok && q.has_tsig
                    ? xfr::respond_signed(q, current_.get(), transport == Transport::Tcp, out, &info,
                                          static_cast<uint64_t>(::time(nullptr)))
                    : zone::respond(q, parsed, current_.get(), transport == Transport::Tcp, out, &info);
  rlen = guard_.finish(q, parsed == dns::ParseResult::Ok, info, transport == Transport::Udp, peer,
                       uv_now(&loop_), out, rlen);
  if (info.answered && rlen > 0) {
    bump(counters_.responses);
    bump(counters_.response_bytes, rlen);
    bump(counters_.rcodes[info.rcode <= 16 ? info.rcode : 16]);
    if (info.truncated) bump(counters_.truncated);
  }
  if (sampler_.due()) log_query(peer, q, parsed, info, transport, id_);
  return rlen;
}

size_t Worker::answer_transfer(const dns::Query& q, Transport transport, uint8_t* out,
                               const sockaddr* peer, std::unique_ptr<xfr::TransferStream>* stream) {
  bool tcp = transport == Transport::Tcp && stream;
  auto reply = xfr::answer_transfer(q, peer, tcp, xfr::transfers_of(current_.get()),
                                    static_cast<uint64_t>(::time(nullptr)));
  bump(counters_.transfers[static_cast<size_t>(reply.outcome)]);
  log_transfer(peer, q, reply, transport, id_, transfer_log_, static_cast<int64_t>(::time(nullptr)));
  if (reply.stream) {
    *stream = std::move(reply.stream);
    return 0;
  }
  // Over UDP the client's EDNS size applies, as for any answer (a long SOA and a
  // SHA-512 TSIG pass 512 bytes); what still does not fit gets TC, so it retries over TCP.
  size_t limit = tcp ? dns::kMaxMessage : zone::udp_reply_limit(q);
  if (reply.message.size() > limit) {
    reply.message.resize(q.question_end);
    reply.message[2] |= dns::flag::kTc;
    std::memset(reply.message.data() + 6, 0, 6);
  }
  std::memcpy(out, reply.message.data(), reply.message.size());
  bump(counters_.responses);
  bump(counters_.response_bytes, reply.message.size());
  bump(counters_.rcodes[reply.message[3] & 0x0F]);
  return reply.message.size();
}

}  // namespace fodns::server
