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

}  // namespace fodns::server
