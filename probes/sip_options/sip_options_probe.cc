// SIP OPTIONS probe. Over UDP one connected socket serves every run of a
// probe: opening and closing a socket per run (socket, bind, connect,
// getsockname, two epoll_ctl, close) was most of a probe's cost, and with
// 10,000 backends probed every second it took the control loop's CPU from the
// DNS workers (tools/bench/scale.sh). A late reply to an earlier run reaches
// the socket in the next run or between runs and is told apart by its Via
// branch, Call-ID and CSeq (counted as unmatched), as before. After a socket
// error the socket is replaced on the next run. Over TCP each run connects.
#include "probes/sip_options/sip_options_probe.h"

#include <array>

#include <fmt/format.h>

#include "common/assert.h"
#include "probes/probe_metrics.h"
#include "probes/sip_options/sip_reply.h"
#include "probes/sip_options/sip_request.h"
#include "probes/tcp_connect.h"

namespace fodns::probes {

namespace {

// Replies are parsed inside the read callback, so one receive buffer per
// thread serves every run (10,000 runs in flight must not hold 64 KiB each).
std::array<char, kMaxSipMessage + 1>& recv_buffer() {
  thread_local std::array<char, kMaxSipMessage + 1> buf;
  return buf;
}

void alloc_cb(uv_handle_t*, size_t, uv_buf_t* buf) {
  auto& b = recv_buffer();
  *buf = uv_buf_init(b.data(), static_cast<unsigned>(b.size()));
}

// What UDP and TCP runs share: the request, reply handling, the timeout verdict.
class SipRun : public Run {
 public:
  SipRun(RunningProbe* owner, uv_loop_t* loop, Done done, const Target& t, std::string uri, uint32_t cseq)
      : Run(owner, Kind::SipOptions, loop, std::move(done), t.timeout), alive(t.alive), uri(std::move(uri)), cseq(cseq) {}

  AliveCodes alive;  // a copy: the run may outlive its probe (until its handles closed)
  std::string uri;
  uint32_t cseq;
  SipRequest request;
  uint64_t sent_ns = 0;
  int ignored = 0;             // garbage + unmatched datagrams/messages
  std::string last_ignored;    // why the last one was ignored
  std::string last_provisional;

  void build(const sockaddr* local, SipTransport tp) {
    request = build_options_request(uri, tp, local, cseq);
  }

  // One received message: decides the run on a matching final response.
  void on_message(std::string_view bytes) {
    auto reply = parse_sip_reply(bytes);
    if (!reply) {
      probe_metrics().count_garbage(Kind::SipOptions);
      ++ignored;
      last_ignored = reply.error().message;
      return;
    }
    if (!reply_matches(*reply, request)) {
      probe_metrics().count_unmatched(Kind::SipOptions);
      ++ignored;
      last_ignored = fmt::format("SIP {} for another request (branch/Call-ID/CSeq mismatch)", reply->status);
      return;
    }
    if (reply->status < 200) {
      probe_metrics().provisional.fetch_add(1, std::memory_order_relaxed);
      last_provisional = status_line(*reply);
      return;
    }
    ProbeResult r;
    r.rtt = std::chrono::microseconds((uv_hrtime() - (sent_ns ? sent_ns : start_ns_)) / 1000);
    r.sip_status = reply->status;
    r.outcome = alive.contains(reply->status) ? Outcome::Ok : Outcome::BadStatus;
    r.detail = "SIP " + status_line(*reply);
    finish(std::move(r));
  }

  ProbeResult timeout_result() override {
    ProbeResult r = Run::timeout_result();
    if (ignored > 0) {
      // Only wrong bytes came back: say so, it is a better lead than "timeout".
      r.outcome = Outcome::Garbage;
      r.detail = fmt::format("no matching reply within {} ms; {} ignored, last: {}", timeout().count(), ignored,
                             last_ignored);
    } else if (!last_provisional.empty()) {
      r.detail += fmt::format(" (only provisional SIP {})", last_provisional);
    }
    return r;
  }
};

class UdpRun;

}  // namespace

// The connected UDP socket of one probe, kept across runs. Heap-allocated and
// deleted by its close callback, which may come after the probe is gone.
struct UdpChannel {
  uv_udp_t udp{};
  UdpRun* run = nullptr;     // the run in flight, or null between runs
  SipRequestTemplate request;  // from our address and port (in Via, From, Contact)
  bool broken = false;       // a socket error was seen: replace it before the next run

  void close() {
    run = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(&udp),
             [](uv_handle_t* h) { delete static_cast<UdpChannel*>(h->data); });
  }
  static void on_recv(uv_udp_t* h, ssize_t nread, const uv_buf_t* buf, const sockaddr* addr, unsigned flags);
};

namespace {

class UdpRun final : public SipRun {
 public:
  using SipRun::SipRun;
  UdpChannel* chan = nullptr;  // not owned: the probe's; detached when this run ends
  uv_timer_t retransmit{};

  void close_handles() override {
    if (chan && chan->run == this) chan->run = nullptr;
    chan = nullptr;
    close(reinterpret_cast<uv_handle_t*>(&retransmit));
  }

  // Returns false if the run finished (send failed).
  bool send() {
    uv_buf_t b = uv_buf_init(request.text.data(), static_cast<unsigned>(request.text.size()));
    int n = uv_udp_try_send(&chan->udp, &b, 1, nullptr);
    // EAGAIN (full socket buffer) is as good as a lost datagram: the
    // retransmission or the timeout deals with it.
    if (n < 0 && n != UV_EAGAIN) {
      if (n != UV_ECONNREFUSED) chan->broken = true;
      finish(result_from_error(n, "ICMP port unreachable", "UDP send"));
      return false;
    }
    return true;
  }

  void on_recv(ssize_t nread, const uv_buf_t* buf, const sockaddr* addr, unsigned flags) {
    UdpRun* self = this;
    if (self->finished()) return;
    if (nread < 0) {
      // On a connected UDP socket the kernel turns an ICMP port unreachable
      // into ECONNREFUSED on the next receive: the SIP process died. The
      // socket stays usable for the next run; other errors replace it.
      if (nread != UV_ECONNREFUSED) chan->broken = true;
      self->finish(result_from_error(static_cast<int>(nread), "ICMP port unreachable", "UDP receive"));
      return;
    }
    if (addr == nullptr) return;  // nothing more to read this round
    if (nread == 0 || (flags & UV_UDP_PARTIAL)) {
      probe_metrics().count_garbage(Kind::SipOptions);
      ++self->ignored;
      self->last_ignored = nread == 0 ? "empty datagram" : "oversized datagram";
      return;
    }
    self->on_message(std::string_view(buf->base, static_cast<size_t>(nread)));
  }

  static void on_retransmit(uv_timer_t* t) {
    auto* self = static_cast<UdpRun*>(Run::of(reinterpret_cast<uv_handle_t*>(t)));
    if (self->finished() || !self->chan) return;
    probe_metrics().retransmissions.fetch_add(1, std::memory_order_relaxed);
    self->send();
  }
};

class TcpRun final : public SipRun {
 public:
  using SipRun::SipRun;
  uv_tcp_t tcp{};
  uv_connect_t connect_req{};
  uv_write_t write_req{};
  std::string in;  // bytes received and not yet framed

  void close_handles() override { close(reinterpret_cast<uv_handle_t*>(&tcp)); }

  static void on_connect(uv_connect_t* req, int status) {
    auto* self = static_cast<TcpRun*>(static_cast<Run*>(req->data));
    if (connect_ended(*self, status)) return;
    sockaddr_storage local{};
    int len = sizeof local;
    uv_tcp_getsockname(&self->tcp, reinterpret_cast<sockaddr*>(&local), &len);
    self->build(reinterpret_cast<const sockaddr*>(&local), SipTransport::Tcp);
    self->write_req.data = self;
    uv_buf_t b = uv_buf_init(self->request.text.data(), static_cast<unsigned>(self->request.text.size()));
    self->sent_ns = uv_hrtime();
    auto* stream = reinterpret_cast<uv_stream_t*>(&self->tcp);
    int err = uv_write(&self->write_req, stream, &b, 1, on_write);
    if (err == 0) err = uv_read_start(stream, alloc_cb, on_read);
    if (err != 0) self->finish(result_from_error(err, "TCP connection refused", "TCP write"));
  }

  static void on_write(uv_write_t* req, int status) {
    auto* self = static_cast<TcpRun*>(req->data);
    if (status == UV_ECANCELED || self->finished() || status == 0) return;
    self->finish(result_from_error(status, "TCP connection refused", "TCP write"));
  }

  static void on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) {
    auto* self = static_cast<TcpRun*>(Run::of(reinterpret_cast<uv_handle_t*>(s)));
    if (self->finished()) return;
    if (nread == UV_EOF) {
      self->finish({Outcome::Garbage, {}, 0, "connection closed by the server before a final reply"});
      return;
    }
    if (nread < 0) {
      self->finish(result_from_error(static_cast<int>(nread), "TCP connection refused", "TCP receive"));
      return;
    }
    self->in.append(buf->base, static_cast<size_t>(nread));
    while (!self->finished()) {
      SipFrame f = sip_frame(self->in);
      if (f.status == SipFrame::Incomplete) {
        self->in.erase(0, f.skip);
        return;
      }
      if (f.status == SipFrame::Bad) {
        // Without framing the rest of the stream means nothing: give up now.
        probe_metrics().count_garbage(Kind::SipOptions);
        self->finish({Outcome::Garbage, {}, 0, "no SIP framing in the TCP stream (headers or body too large)"});
        return;
      }
      std::string msg = self->in.substr(f.skip, f.length);
      self->in.erase(0, f.skip + f.length);
      self->on_message(msg);
    }
  }
};

}  // namespace

void UdpChannel::on_recv(uv_udp_t* h, ssize_t nread, const uv_buf_t* buf, const sockaddr* addr, unsigned flags) {
  auto* ch = static_cast<UdpChannel*>(h->data);
  if (ch->run) {
    ch->run->on_recv(nread, buf, addr, flags);
    return;
  }
  // Between runs: a reply that came after its run ended (counted, as a reply
  // to another request would be), or the ICMP error of such a late send.
  if (nread > 0 && addr) probe_metrics().count_unmatched(Kind::SipOptions);
  else if (nread < 0 && nread != UV_ECONNREFUSED) ch->broken = true;
}

SipOptionsProbe::SipOptionsProbe(uv_loop_t* loop, Target target)
    : loop_(loop), target_(std::move(target)) {
  request_uri_ = target_.sip_uri.empty() ? default_request_uri(reinterpret_cast<const sockaddr*>(&target_.addr))
                                         : target_.sip_uri;
}

// The run in flight (if any) is abandoned by ~RunningProbe after this; it
// detaches from the channel then, which is still allocated until its close
// callback on a later loop iteration.
SipOptionsProbe::~SipOptionsProbe() {
  if (chan_) chan_->close();
}

void SipOptionsProbe::run(Done done) {
  FODNS_BUG(run_ == nullptr);  // the runner checks running() first
  if (run_) return;
  const auto* dest = reinterpret_cast<const sockaddr*>(&target_.addr);
  ++cseq_;
  if (target_.transport == SipTransport::Tcp) {
    auto* r = new TcpRun(this, loop_, std::move(done), target_, request_uri_, cseq_);  // deletes itself on close
    run_ = r;
    start_tcp_connect(*r, loop_, r->tcp, r->connect_req, dest, TcpRun::on_connect);  // timeout: connect and reply
    return;
  }

  auto* r = new UdpRun(this, loop_, std::move(done), target_, request_uri_, cseq_);  // deletes itself on close
  run_ = r;
  r->start_timer();
  uv_timer_init(loop_, &r->retransmit);
  r->track(reinterpret_cast<uv_handle_t*>(&r->retransmit));
  if (chan_ && chan_->broken) {
    chan_->close();
    chan_ = nullptr;
  }
  if (!chan_) {
    auto* ch = new UdpChannel;  // deleted by its close callback
    if (int err = uv_udp_init(loop_, &ch->udp); err != 0) {
      delete ch;
      r->finish_soon(result_from_error(err, "", "UDP socket"));
      return;
    }
    ch->udp.data = ch;
    // connect(2) on the UDP socket: the kernel picks the source address (which
    // goes into Via), filters datagrams from other peers, and reports ICMP
    // port unreachable as ECONNREFUSED.
    int err = uv_udp_connect(&ch->udp, dest);
    sockaddr_storage local{};
    int len = sizeof local;
    if (err == 0) err = uv_udp_getsockname(&ch->udp, reinterpret_cast<sockaddr*>(&local), &len);
    if (err == 0) {
      ch->request = SipRequestTemplate(request_uri_, SipTransport::Udp, reinterpret_cast<const sockaddr*>(&local));
    }
    if (err == 0) err = uv_udp_recv_start(&ch->udp, alloc_cb, UdpChannel::on_recv);
    if (err != 0) {
      ch->close();
      r->finish_soon(result_from_error(err, "ICMP port unreachable", "UDP connect"));
      return;
    }
    chan_ = ch;
  }
  r->chan = chan_;
  chan_->run = r;
  r->request = chan_->request.make(cseq_);
  r->sent_ns = uv_hrtime();
  // A failed first send is reported on the next iteration, never inside run().
  uv_buf_t b = uv_buf_init(r->request.text.data(), static_cast<unsigned>(r->request.text.size()));
  int n = uv_udp_try_send(&chan_->udp, &b, 1, nullptr);
  if (n < 0 && n != UV_EAGAIN) {
    if (n != UV_ECONNREFUSED) chan_->broken = true;
    r->finish_soon(result_from_error(n, "ICMP port unreachable", "UDP send"));
    return;
  }
  if (kRetransmitAfter < target_.timeout) {
    uv_timer_start(&r->retransmit, UdpRun::on_retransmit, static_cast<uint64_t>(kRetransmitAfter.count()), 0);
  }
}

}  // namespace fodns::probes
