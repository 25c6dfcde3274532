#include "server/reply_source.h"

#include <cstring>

namespace fodns::server {

size_t reply_source_control(const msghdr& received, uint8_t* reply_control) {
  if (received.msg_controllen == 0) return 0;
  for (cmsghdr* c = CMSG_FIRSTHDR(&received); c; c = CMSG_NXTHDR(const_cast<msghdr*>(&received), c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
      in_pktinfo in;
      std::memcpy(&in, CMSG_DATA(c), sizeof in);
      in_pktinfo out{};
      // The source is the queried address; the route, not the arrival interface, picks the way out.
      out.ipi_spec_dst = in.ipi_addr;
      auto* r = reinterpret_cast<cmsghdr*>(reply_control);
      r->cmsg_level = IPPROTO_IP;
      r->cmsg_type = IP_PKTINFO;
      r->cmsg_len = CMSG_LEN(sizeof out);
      std::memcpy(CMSG_DATA(r), &out, sizeof out);
      return CMSG_SPACE(sizeof out);
    }
    if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
      in6_pktinfo in;
      std::memcpy(&in, CMSG_DATA(c), sizeof in);
      in6_pktinfo out{};
      out.ipi6_addr = in.ipi6_addr;
      // A link-local address is only unique with its interface.
      if (IN6_IS_ADDR_LINKLOCAL(&in.ipi6_addr)) out.ipi6_ifindex = in.ipi6_ifindex;
      auto* r = reinterpret_cast<cmsghdr*>(reply_control);
      r->cmsg_level = IPPROTO_IPV6;
      r->cmsg_type = IPV6_PKTINFO;
      r->cmsg_len = CMSG_LEN(sizeof out);
      std::memcpy(CMSG_DATA(r), &out, sizeof out);
      return CMSG_SPACE(sizeof out);
    }
  }
  return 0;
}

}  // namespace fodns::server
