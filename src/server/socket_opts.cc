#include "server/socket_opts.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace fodns::server {
namespace {

Result<int> open_bound(const ListenAddress& addr, int type) {
  int fd = ::socket(addr.family(), type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error("socket({}): {}", addr.text, strerror(errno));
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
    int e = errno;
    ::close(fd);
    return make_error("SO_REUSEPORT on {}: {}", addr.text, strerror(e));
  }
  if (addr.family() == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (type == SOCK_DGRAM) {
    // A larger receive buffer absorbs bursts while the worker is busy.
    int size = 4 << 20;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    // IPv4 replies leave with DF set and the path MTU ignored (they are at most 1232 bytes):
    // no fragments to spoof (draft-ietf-dnsop-avoid-fragmentation R3), and with DF the
    // kernel skips per-packet IP ID generation, a few % of the CPU a reply costs.
    if (addr.family() == AF_INET) {
      int probe = IP_PMTUDISC_PROBE;
      setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &probe, sizeof probe);
    }
  } else {
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr.addr), addr.len) != 0) {
    int e = errno;
    ::close(fd);
    return make_error("cannot bind {} {}: {}", type == SOCK_DGRAM ? "udp" : "tcp", addr.text,
                      strerror(e));
  }
  return fd;
}

}  // namespace

Result<int> open_udp_socket(const ListenAddress& addr) { return open_bound(addr, SOCK_DGRAM); }

Result<int> open_tcp_listener(const ListenAddress& addr, int backlog) {
  auto fd = open_bound(addr, SOCK_STREAM);
  if (!fd) return fd;
  if (::listen(*fd, backlog) != 0) {
    int e = errno;
    ::close(*fd);
    return make_error("listen on tcp {}: {}", addr.text, strerror(e));
  }
  return fd;
}

uint16_t bound_port(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return 0;
  if (ss.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
}

bool enable_pktinfo_if_wildcard(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return false;
  int one = 1;
  if (ss.ss_family == AF_INET) {
    if (reinterpret_cast<sockaddr_in*>(&ss)->sin_addr.s_addr != htonl(INADDR_ANY)) return false;
    return setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one) == 0;
  }
  if (ss.ss_family == AF_INET6) {
    if (!IN6_IS_ADDR_UNSPECIFIED(&reinterpret_cast<sockaddr_in6*>(&ss)->sin6_addr)) return false;
    return setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one) == 0;
  }
  return false;
}

}  // namespace fodns::server
