// Replies from the address that was queried: a UDP socket bound to 0.0.0.0 or
// [::] receives each datagram's destination address (IP_PKTINFO / IPV6_PKTINFO,
// see enable_pktinfo_if_wildcard) and hands it back to sendmsg as the reply's
// source. Without it the kernel picks the source by route, and on a host with
// several addresses resolvers drop a reply that comes from another address than
// the one they asked (issue 13). Plain functions on caller-owned buffers: no
// allocation, no state. Any thread.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>

namespace fodns::server {

/// Room for one received or sent packet-info control message (IPv4 or IPv6).
inline constexpr size_t kPktinfoControlLen = CMSG_SPACE(sizeof(in6_pktinfo));

/// Writes into `reply_control` (kPktinfoControlLen bytes, aligned for cmsghdr)
/// the control message that makes a reply to `received` leave from the address
/// it was sent to; returns its length, 0 when `received` carries none.
size_t reply_source_control(const msghdr& received, uint8_t* reply_control);

}  // namespace fodns::server
