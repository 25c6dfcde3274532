// Sockets are created here, with SO_REUSEPORT so that every worker binds its
// own socket to the same address and the kernel spreads queries over them
// (knot-resolver daemon/io.c), and only then handed to libuv.
#pragma once

#include "common/result.h"
#include "server/listen_address.h"

namespace fodns::server {

/// Non-blocking UDP socket bound to `addr` (IPv6 sockets are V6ONLY).
Result<int> open_udp_socket(const ListenAddress& addr);
/// Non-blocking TCP socket bound to `addr` and listening.
Result<int> open_tcp_listener(const ListenAddress& addr, int backlog);
/// The port the kernel chose for a socket bound to port 0.
uint16_t bound_port(int fd);

/// On a UDP socket bound to the wildcard address, asks the kernel for each
/// datagram's destination address (IP_PKTINFO / IPV6_RECVPKTINFO), so that the
/// reply can leave from the address the client queried. False (and nothing
/// set) for a socket bound to one address: its replies leave from it anyway.
bool enable_pktinfo_if_wildcard(int fd);

}  // namespace fodns::server
