// ListenAddress: "127.0.0.1:5353", "[::1]:5353" or "[::]:53" parsed into a sockaddr.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <string>
#include <string_view>

#include "common/result.h"

namespace fodns::server {

struct ListenAddress {
  sockaddr_storage addr{};
  socklen_t len = 0;
  std::string text;  // as given, for logs

  int family() const { return addr.ss_family; }
  uint16_t port() const;
};

Result<ListenAddress> parse_listen_address(std::string_view text);

/// "127.0.0.1:5353" / "[::1]:5353" for any sockaddr.
std::string format_address(const sockaddr* sa);

}  // namespace fodns::server
