#include "xfr/notifier.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/random.h>

#include <algorithm>
#include <cstring>

#include "common/log.h"
#include "dns/wire.h"
#include "xfr/transfer_data.h"

namespace fodns::xfr {
namespace {

constexpr int kMaxAttempts = 8;          // sent at 0, 1, 3, 7, 15, 31, 63, 123 s; given up at 183 s
constexpr uint64_t kFirstRetryMs = 1000;
constexpr uint64_t kMaxRetryMs = 60000;
constexpr uint64_t kTickMs = 50;
constexpr uint8_t kOpcodeNotify = 4;

uint16_t random_id() {
  uint16_t id = 0;
  if (getrandom(&id, sizeof id, 0) != sizeof id) id = static_cast<uint16_t>(uv_hrtime());
  return id;
}

bool parse_target(const Notifier::Target& t, sockaddr_storage* ss, socklen_t* len) {
  std::memset(ss, 0, sizeof *ss);
  auto* s4 = reinterpret_cast<sockaddr_in*>(ss);
  auto* s6 = reinterpret_cast<sockaddr_in6*>(ss);
  if (inet_pton(AF_INET, t.address.c_str(), &s4->sin_addr) == 1) {
    s4->sin_family = AF_INET;
    s4->sin_port = htons(t.port);
    *len = sizeof *s4;
    return true;
  }
  if (inet_pton(AF_INET6, t.address.c_str(), &s6->sin6_addr) == 1) {
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(t.port);
    *len = sizeof *s6;
    return true;
  }
  return false;
}

bool same_peer(const sockaddr_storage& a, const sockaddr* b) {
  if (a.ss_family != b->sa_family) return false;
  if (b->sa_family == AF_INET) {
    auto* x = reinterpret_cast<const sockaddr_in*>(&a);
    auto* y = reinterpret_cast<const sockaddr_in*>(b);
    return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
  }
  auto* x = reinterpret_cast<const sockaddr_in6*>(&a);
  auto* y = reinterpret_cast<const sockaddr_in6*>(b);
  return x->sin6_port == y->sin6_port && std::memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
}

}  // namespace

Notifier::Notifier(uv_loop_t* loop, uint64_t window_ms) : loop_(loop), window_ms_(window_ms) {
  uv_timer_init(loop_, &tick_);
  tick_.data = this;
}

Notifier::~Notifier() { close(); }

void Notifier::close() {
  if (closed_) return;
  closed_ = true;
  uv_close(reinterpret_cast<uv_handle_t*>(&tick_), nullptr);
  if (open4_) uv_close(reinterpret_cast<uv_handle_t*>(&udp4_), nullptr);
  if (open6_) uv_close(reinterpret_cast<uv_handle_t*>(&udp6_), nullptr);
}

uv_udp_t* Notifier::socket_for(int family) {
  bool& open = family == AF_INET ? open4_ : open6_;
  uv_udp_t* h = family == AF_INET ? &udp4_ : &udp6_;
  if (open) return h;
  uv_udp_init(loop_, h);
  h->data = this;
  sockaddr_storage any{};
  if (family == AF_INET) {
    uv_ip4_addr("0.0.0.0", 0, reinterpret_cast<sockaddr_in*>(&any));
  } else {
    uv_ip6_addr("::", 0, reinterpret_cast<sockaddr_in6*>(&any));
  }
  int rc = uv_udp_bind(h, reinterpret_cast<const sockaddr*>(&any), 0);
  if (rc == 0) {
    rc = uv_udp_recv_start(
        h,
        [](uv_handle_t* hh, size_t, uv_buf_t* b) {
          auto* self = static_cast<Notifier*>(hh->data);
          *b = uv_buf_init(reinterpret_cast<char*>(self->recv_buf_), sizeof self->recv_buf_);
        },
        on_recv);
  }
  open = true;  // closed in close() either way
  if (rc != 0) {
    log::warn("msg=\"cannot open the NOTIFY socket\" error=\"{}\"", uv_strerror(rc));
    return nullptr;
  }
  return h;
}

void Notifier::changed(const std::string& zone, const dns::Rr& soa, std::vector<Target> targets,
                       std::optional<TsigKey> key) {
  if (closed_ || targets.empty()) return;
  ZoneState& z = zones_[zone];
  z.soa = soa;
  z.targets = std::move(targets);
  z.key = std::move(key);
  uint64_t now = uv_now(loop_);
  if (!z.ever || now >= z.last_round_ms + window_ms_) {
    start_round(zone, z, now);
  } else {
    z.pending = true;  // the tick sends it when the window ends, with the newest SOA
    arm();
  }
}

void Notifier::start_round(const std::string& zone, ZoneState& z, uint64_t now) {
  z.pending = false;
  z.ever = true;
  z.last_round_ms = now;
  z.outstanding.clear();  // an older serial's retries are moot
  for (const auto& t : z.targets) {
    Outstanding o;
    o.text = t.address.find(':') != std::string::npos ? fmt::format("[{}]:{}", t.address, t.port)
                                                      : fmt::format("{}:{}", t.address, t.port);
    if (!parse_target(t, &o.addr, &o.addr_len)) {
      log::warn("msg=\"bad NOTIFY target, skipped\" zone={} target={}", zone, o.text);
      continue;
    }
    o.id = random_id();
    z.outstanding.push_back(std::move(o));
  }
  for (auto& o : z.outstanding) send(zone, z, o);
  arm();
}

void Notifier::send(const std::string& zone, ZoneState& z, Outstanding& o) {
  // Header: our ID, opcode NOTIFY, AA, one question, the SOA as the one answer.
  std::vector<uint8_t> m = {static_cast<uint8_t>(o.id >> 8), static_cast<uint8_t>(o.id),
                            static_cast<uint8_t>((kOpcodeNotify << 3) | dns::flag::kAa), 0, 0, 1, 0, 1, 0, 0, 0, 0};
  m.reserve(512);
  m.insert(m.end(), z.soa.owner.begin(), z.soa.owner.end());
  for (uint8_t b : {uint8_t{0}, uint8_t{dns::type::kSoa}, uint8_t{0}, uint8_t{1}}) m.push_back(b);
  // The SOA in the answer section lets the secondary skip its own SOA query (RFC 1996 §3.7).
  std::string rr = rr_key(z.soa);
  m.insert(m.end(), rr.begin(), rr.end());
  if (z.key) {
    SignState st;
    st.request = true;
    sign(m, *z.key, st, static_cast<uint64_t>(::time(nullptr)));
  }
  ++o.attempts;
  uint64_t backoff = std::min(kMaxRetryMs, kFirstRetryMs << std::min(o.attempts - 1, 16));
  o.next_ms = uv_now(loop_) + backoff;
  ++stats_[zone].sent;
  uv_udp_t* h = socket_for(o.addr.ss_family);
  if (!h) return;
  uv_buf_t b = uv_buf_init(reinterpret_cast<char*>(m.data()), static_cast<unsigned>(m.size()));
  // try_send: a NOTIFY is small; if the socket buffer is full the retry covers it.
  int rc = uv_udp_try_send(h, &b, 1, reinterpret_cast<const sockaddr*>(&o.addr));
  uint32_t serial = dns::get32(z.soa.rdata.data() + z.soa.rdata.size() - 20);
  if (rc < 0) {
    log::warn("msg=\"NOTIFY not sent\" zone={} target={} serial={} error=\"{}\"", zone, o.text,
              serial, uv_strerror(rc));
  } else {
    log::info("msg=\"NOTIFY sent\" zone={} target={} serial={} attempt={}", zone, o.text, serial,
              o.attempts);
  }
}

void Notifier::arm() {
  if (closed_ || uv_is_active(reinterpret_cast<uv_handle_t*>(&tick_))) return;
  uv_timer_start(&tick_, on_tick, kTickMs, kTickMs);
}

void Notifier::on_tick(uv_timer_t* t) {
  auto* self = static_cast<Notifier*>(t->data);
  uint64_t now = uv_now(self->loop_);
  bool busy = false;
  for (auto& [zone, z] : self->zones_) {
    if (z.pending) {
      if (now >= z.last_round_ms + self->window_ms_) self->start_round(zone, z, now);
      busy = true;
    }
    for (auto& o : z.outstanding) {
      if (o.done) continue;
      if (now < o.next_ms) {  // waiting for the answer, or for the next retry
        busy = true;
        continue;
      }
      if (o.attempts >= kMaxAttempts) {  // the last one had its full wait too
        o.done = true;
        ++self->stats_[zone].gave_up;
        log::warn("msg=\"NOTIFY unanswered, giving up\" zone={} target={} attempts={}", zone, o.text,
                  o.attempts);
        continue;
      }
      busy = true;
      self->send(zone, z, o);
    }
  }
  if (!busy) uv_timer_stop(&self->tick_);
}

void Notifier::on_recv(uv_udp_t* h, ssize_t n, const uv_buf_t* buf, const sockaddr* addr, unsigned) {
  auto* self = static_cast<Notifier*>(h->data);
  if (n < static_cast<ssize_t>(dns::kHeaderSize) || !addr) return;
  const auto* p = reinterpret_cast<const uint8_t*>(buf->base);
  if (!(p[2] & dns::flag::kQr) || ((p[2] >> 3) & 0x0F) != kOpcodeNotify) return;
  uint16_t id = dns::get16(p);
  for (auto& [zone, z] : self->zones_) {
    for (auto& o : z.outstanding) {
      if (o.done || o.id != id || !same_peer(o.addr, addr)) continue;
      o.done = true;
      ++self->stats_[zone].answered;
      if ((p[3] & 0x0F) != 0)  // REFUSED, NOTAUTH: retrying will not change the secondary's mind
        log::warn("msg=\"NOTIFY refused\" zone={} target={} rcode={}", zone, o.text, p[3] & 0x0F);
      return;
    }
  }
}

}  // namespace fodns::xfr
