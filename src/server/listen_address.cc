#include "server/listen_address.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace fodns::server {

uint16_t ListenAddress::port() const {
  if (addr.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&addr)->sin_port);
  return ntohs(reinterpret_cast<const sockaddr_in6*>(&addr)->sin6_port);
}

Result<ListenAddress> parse_listen_address(std::string_view text) {
  ListenAddress out;
  out.text = std::string(text);
  std::string host;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
      return make_error("listen address '{}': expected [IPv6]:PORT", text);
    host = std::string(text.substr(1, close - 1));
    port_text = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos)
      return make_error("listen address '{}': expected ADDR:PORT", text);
    host = std::string(text.substr(0, colon));
    port_text = text.substr(colon + 1);
  }
  unsigned port = 0;
  auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || p != port_text.data() + port_text.size() || port > 65535)
    return make_error("listen address '{}': port '{}' is not a number from 0 to 65535", text, port_text);
  auto* v4 = reinterpret_cast<sockaddr_in*>(&out.addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&out.addr);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    out.len = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    out.len = sizeof(sockaddr_in6);
  } else {
    return make_error("listen address '{}': '{}' is not an IPv4 or IPv6 address", text, host);
  }
  return out;
}

std::string format_address(const sockaddr* sa) {
  char buf[INET6_ADDRSTRLEN] = "?";
  if (sa->sa_family == AF_INET) {
    auto* v4 = reinterpret_cast<const sockaddr_in*>(sa);
    inet_ntop(AF_INET, &v4->sin_addr, buf, sizeof buf);
    return fmt::format("{}:{}", buf, ntohs(v4->sin_port));
  }
  auto* v6 = reinterpret_cast<const sockaddr_in6*>(sa);
  inet_ntop(AF_INET6, &v6->sin6_addr, buf, sizeof buf);
  return fmt::format("[{}]:{}", buf, ntohs(v6->sin6_port));
}

}  // namespace fodns::server
