// ICMP echo probe. One socket per run (it is cheap, and a late reply then
// cannot reach the next run). Preferred: an unprivileged ping socket
// (SOCK_DGRAM/IPPROTO_ICMP, allowed by net.ipv4.ping_group_range): the
// kernel sets the echo id and delivers only our replies, without IP header.
// Fallback: SOCK_RAW (CAP_NET_RAW), which sees all ICMP: match id+seq+cookie.
#include "probes/icmp/icmp_probe.h"

#include <linux/errqueue.h>
#include <netinet/icmp6.h>
#include <netinet/ip_icmp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include <fmt/format.h>

#include "common/assert.h"
#include "probes/probe_metrics.h"
#include "probes/sip_options/sip_request.h"

namespace fodns::probes {

namespace {

constexpr size_t kHeader = 8;   // type, code, checksum, id, seq: the same in ICMP and ICMPv6
constexpr size_t kCookie = 16;  // random payload: a reply must echo it

int open_icmp(int family, int type) {
  int proto = family == AF_INET6 ? static_cast<int>(IPPROTO_ICMPV6) : static_cast<int>(IPPROTO_ICMP);
  return socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);
}

uint16_t checksum(const uint8_t* p, size_t n) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < n; i += 2) sum += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (n & 1) sum += static_cast<uint32_t>(p[n - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

uint16_t get16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

bool same_host(const sockaddr_storage& a, const sockaddr_storage& b) {
  if (a.ss_family != b.ss_family) return false;
  if (a.ss_family == AF_INET) {
    return reinterpret_cast<const sockaddr_in&>(a).sin_addr.s_addr ==
           reinterpret_cast<const sockaddr_in&>(b).sin_addr.s_addr;
  }
  return std::memcmp(&reinterpret_cast<const sockaddr_in6&>(a).sin6_addr,
                     &reinterpret_cast<const sockaddr_in6&>(b).sin6_addr, 16) == 0;
}

class IcmpRun final : public Run {
 public:
  IcmpRun(RunningProbe* owner, uv_loop_t* loop, Done done, const Target& t)
      : Run(owner, Kind::Icmp, loop, std::move(done), t.timeout), dest(t.addr) {}
  ~IcmpRun() override {
    if (fd >= 0) ::close(fd);  // after the poll handle closed: libuv no longer watches it
  }

  sockaddr_storage dest;
  int fd = -1;
  bool raw = false;
  uint16_t id = 0, seq = 0;
  uint8_t packet[kHeader + kCookie]{};
  uint64_t sent_ns = 0;
  uv_poll_t poll{};

  bool v6() const { return dest.ss_family == AF_INET6; }
  void close_handles() override { close(reinterpret_cast<uv_handle_t*>(&poll)); }

  // Our echo request, quoted at `p` (inside an echo reply or an error)?
  bool ours(const uint8_t* p, size_t n, bool check_id, bool check_cookie) const {
    if (n < kHeader || get16(p + 6) != seq || (check_id && get16(p + 4) != id)) return false;
    return !check_cookie || (n >= kHeader + kCookie && std::memcmp(p + kHeader, packet + kHeader, kCookie) == 0);
  }

  void unreachable(const char* what, int type, int code) {
    finish({Outcome::Unreachable, {}, 0, fmt::format("ICMP {} (type {} code {})", what, type, code)});
  }

  // One received datagram. Ping sockets hand over the ICMP message; raw IPv4
  // sockets prepend the IP header, raw IPv6 sockets do not.
  void on_packet(const uint8_t* p, size_t n, const sockaddr_storage& from) {
    if (raw && !v6()) {
      if (n < 20 || (p[0] >> 4) != 4) return garbage();
      size_t ihl = static_cast<size_t>(p[0] & 0xf) * 4;
      if (ihl < 20 || ihl > n) return garbage();
      p += ihl;
      n -= ihl;
    }
    if (n < kHeader) return garbage();
    const int type = p[0], code = p[1];
    const int echo_reply = v6() ? ICMP6_ECHO_REPLY : ICMP_ECHOREPLY;
    if (type == echo_reply) {
      if (!same_host(from, dest) || !ours(p, n, raw, true)) return unmatched();
      finish({Outcome::Ok, std::chrono::microseconds((uv_hrtime() - sent_ns) / 1000), 0, "ICMP echo reply"});
      return;
    }
    // Only raw sockets see errors as packets: the quoted datagram follows
    // the 8-byte error header (an IPv4 header of IHL words, or 40 bytes of IPv6).
    const bool unreach = v6() ? type == ICMP6_DST_UNREACH : type == ICMP_DEST_UNREACH;
    const bool exceeded = v6() ? type == ICMP6_TIME_EXCEEDED : type == ICMP_TIME_EXCEEDED;
    if (!raw || (!unreach && !exceeded)) return unmatched();
    const uint8_t* q = p + kHeader;
    size_t qn = n - kHeader;
    size_t inner = 40;
    if (!v6()) {
      if (qn < 20) return unmatched();
      inner = static_cast<size_t>(q[0] & 0xf) * 4;
    }
    if (inner > qn || !ours(q + inner, qn - inner, true, false)) return unmatched();
    unreachable(unreach ? "destination unreachable" : "time exceeded", type, code);
  }

  void garbage() { probe_metrics().count_garbage(Kind::Icmp); }
  void unmatched() { probe_metrics().count_unmatched(Kind::Icmp); }

  // IP_RECVERR queues ICMP errors about our packets: the only way a ping
  // socket learns of "host unreachable" (without it the kernel drops them).
  void read_errqueue() {
    for (int i = 0; i < 16 && !finished(); ++i) {
      uint8_t data[256];
      alignas(cmsghdr) char ctrl[512];
      iovec iov{data, sizeof data};
      msghdr msg{};
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = ctrl;
      msg.msg_controllen = sizeof ctrl;
      if (recvmsg(fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) return;
      for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        bool v4err = c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR;
        bool v6err = c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR;
        if (!v4err && !v6err) continue;
        sock_extended_err ee;
        std::memcpy(&ee, CMSG_DATA(c), sizeof ee);
        if (ee.ee_origin == SO_EE_ORIGIN_ICMP || ee.ee_origin == SO_EE_ORIGIN_ICMP6) {
          // The socket is this run's alone, so every error is about our echo.
          unreachable(ee.ee_errno == EHOSTUNREACH ? "host unreachable"
                      : ee.ee_errno == ENETUNREACH ? "network unreachable"
                                                   : "destination unreachable",
                      ee.ee_type, ee.ee_code);
          return;
        }
        if (ee.ee_errno == EHOSTUNREACH || ee.ee_errno == ENETUNREACH) {
          finish(result_from_error(-static_cast<int>(ee.ee_errno), "", "ICMP"));
          return;
        }
      }
    }
  }

  void read_all() {
    for (int i = 0; i < 64 && !finished(); ++i) {  // bounded: a flood of foreign ICMP must not starve the loop
      uint8_t buf[1500];
      sockaddr_storage from{};
      socklen_t flen = sizeof from;
      ssize_t n = recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &flen);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
        if (errno == EHOSTUNREACH || errno == ENETUNREACH) {
          read_errqueue();
          if (!finished()) finish(result_from_error(-errno, "", "ICMP receive"));
          return;
        }
        finish(result_from_error(-errno, "", "ICMP receive"));
        return;
      }
      on_packet(buf, static_cast<size_t>(n), from);
    }
  }

  static void on_poll(uv_poll_t* h, int status, int) {
    auto* self = static_cast<IcmpRun*>(Run::of(reinterpret_cast<uv_handle_t*>(h)));
    if (self->finished()) return;
    if (status < 0) {
      // libuv reports POLLERR as an error and stops the poll: something
      // waits on the error queue.
      self->read_errqueue();
      if (self->finished()) return;
      uv_poll_start(h, UV_READABLE, on_poll);
    }
    self->read_all();
  }
};

}  // namespace

int icmp_socket_type(int family) {
  for (int type : {SOCK_DGRAM, SOCK_RAW}) {
    int fd = open_icmp(family, type);
    if (fd >= 0) {
      ::close(fd);
      return type;
    }
  }
  return 0;
}

Status check_icmp_available(int family) {
  if (icmp_socket_type(family) != 0) return ok_status();
  std::string range = "?";
  std::ifstream in("/proc/sys/net/ipv4/ping_group_range");
  if (in) std::getline(in, range);
  for (auto& c : range) c = c == '\t' ? ' ' : c;
  return make_error(
      "ICMP probes ({}) need CAP_NET_RAW or net.ipv4.ping_group_range covering gid {} (it is \"{}\"): "
      "e.g. sysctl -w net.ipv4.ping_group_range=\"0 2147483647\" or setcap cap_net_raw+ep on the fodns binary",
      family == AF_INET6 ? "IPv6" : "IPv4", getgid(), range);
}

IcmpProbe::IcmpProbe(uv_loop_t* loop, Target target) : loop_(loop), target_(std::move(target)) {
  id_ = static_cast<uint16_t>(std::stoul(random_hex(4), nullptr, 16));
}

void IcmpProbe::run(Done done) {
  FODNS_BUG(run_ == nullptr);  // the runner checks running() first
  if (run_) return;
  auto* r = new IcmpRun(this, loop_, std::move(done), target_);  // deletes itself on close
  run_ = r;
  r->start_timer();
  const int family = target_.addr.ss_family;
  r->fd = open_icmp(family, SOCK_DGRAM);
  if (r->fd < 0) {
    r->fd = open_icmp(family, SOCK_RAW);
    r->raw = true;
  }
  if (r->fd < 0) {
    auto st = check_icmp_available(family);
    r->finish_soon({Outcome::Error, {}, 0, st ? "no ICMP socket" : st.error().message});
    return;
  }
  int one = 1;
  if (family == AF_INET6) {
    setsockopt(r->fd, SOL_IPV6, IPV6_RECVERR, &one, sizeof one);
  } else {
    setsockopt(r->fd, SOL_IP, IP_RECVERR, &one, sizeof one);
  }
  if (r->raw && family == AF_INET) {
    // Raw sockets see every ICMP message of the host: let only echo replies
    // and errors through to user space.
    // ICMP_FILTER and struct icmp_filter (a u32 mask of blocked types) are in
    // <linux/icmp.h>, which clashes with <netinet/ip_icmp.h>.
    constexpr int kIcmpFilter = 1;
    uint32_t blocked = ~((1U << ICMP_ECHOREPLY) | (1U << ICMP_DEST_UNREACH) | (1U << ICMP_TIME_EXCEEDED));
    setsockopt(r->fd, SOL_RAW, kIcmpFilter, &blocked, sizeof blocked);
  } else if (r->raw) {
    icmp6_filter filt;
    ICMP6_FILTER_SETBLOCKALL(&filt);
    ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &filt);
    ICMP6_FILTER_SETPASS(ICMP6_DST_UNREACH, &filt);
    ICMP6_FILTER_SETPASS(ICMP6_TIME_EXCEEDED, &filt);
    setsockopt(r->fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filt, sizeof filt);
  }
  if (int err = uv_poll_init(loop_, &r->poll, r->fd); err != 0) {
    r->finish_soon(result_from_error(err, "", "ICMP poll"));
    return;
  }
  r->track(reinterpret_cast<uv_handle_t*>(&r->poll));

  r->id = id_;
  r->seq = ++seq_;
  uint8_t* p = r->packet;
  p[0] = family == AF_INET6 ? ICMP6_ECHO_REQUEST : ICMP_ECHO;
  p[4] = static_cast<uint8_t>(r->id >> 8);
  p[5] = static_cast<uint8_t>(r->id);
  p[6] = static_cast<uint8_t>(r->seq >> 8);
  p[7] = static_cast<uint8_t>(r->seq);
  std::string cookie = random_hex(2 * kCookie);
  for (size_t i = 0; i < kCookie; ++i) p[kHeader + i] = static_cast<uint8_t>(std::stoul(cookie.substr(2 * i, 2), nullptr, 16));
  // ICMPv6 checksums cover a pseudo-header: the kernel fills them in.
  if (family == AF_INET) {
    uint16_t sum = checksum(p, sizeof r->packet);
    p[2] = static_cast<uint8_t>(sum >> 8);
    p[3] = static_cast<uint8_t>(sum);
  }
  uv_poll_start(&r->poll, UV_READABLE, IcmpRun::on_poll);
  r->sent_ns = uv_hrtime();
  if (sendto(r->fd, r->packet, sizeof r->packet, 0, reinterpret_cast<const sockaddr*>(&target_.addr),
             target_.addr_len) < 0) {
    r->finish_soon(result_from_error(-errno, "", "ICMP send"));
  }
}

}  // namespace fodns::probes
