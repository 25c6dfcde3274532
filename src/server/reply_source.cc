#include "server/reply_source.h"

#include <cstring>

namespace fodns::server {

namespace {

size_t put_control(uint8_t* buf, int level, int type, const void* data, size_t len) {
  auto* c = reinterpret_cast<cmsghdr*>(buf);
  c->cmsg_level = level;
  c->cmsg_type = type;
  c->cmsg_len = CMSG_LEN(len);
  std::memcpy(CMSG_DATA(c), data, len);
  return CMSG_SPACE(len);
}

}  // namespace

size_t reply_source_control(const msghdr& received, uint8_t* reply_control) {
  if (received.msg_controllen == 0) return 0;
  for (cmsghdr* c = CMSG_FIRSTHDR(&received); c; c = CMSG_NXTHDR(const_cast<msghdr*>(&received), c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
      in_pktinfo in;
      std::memcpy(&in, CMSG_DATA(c), sizeof in);
      in_pktinfo out{};
      // The source is the queried address; the route, not the arrival interface, picks the way out.
      out.ipi_spec_dst = in.ipi_addr;
      return put_control(reply_control, IPPROTO_IP, IP_PKTINFO, &out, sizeof out);
    }
    if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
      in6_pktinfo in;
      std::memcpy(&in, CMSG_DATA(c), sizeof in);
      in6_pktinfo out{};
      out.ipi6_addr = in.ipi6_addr;
      // A link-local address is only unique with its interface.
      if (IN6_IS_ADDR_LINKLOCAL(&in.ipi6_addr)) out.ipi6_ifindex = in.ipi6_ifindex;
      return put_control(reply_control, IPPROTO_IPV6, IPV6_PKTINFO, &out, sizeof out);
    }
  }
  return 0;
}

}  // namespace fodns::server
