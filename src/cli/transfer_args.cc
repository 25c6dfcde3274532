#include "cli/transfer_args.h"

#include <arpa/inet.h>

#include <charconv>

#include <fmt/format.h>

#include "cli/cli_common.h"

namespace fodns::cli {

namespace {

constexpr int64_t kMaxAgeS = 3650 * 86400;  // ten years: beyond that an age is no bound

struct Ip {
  int family = 0;  // AF_INET or AF_INET6; 0: not an address
  unsigned char bytes[sizeof(in6_addr)] = {};
  size_t size() const { return family == AF_INET ? 4 : 16; }
  std::string text() const {
    char buf[INET6_ADDRSTRLEN];
    return inet_ntop(family, bytes, buf, sizeof buf);
  }
};

Ip parse_ip(std::string_view text) {
  Ip ip;
  std::string s(text);
  if (inet_pton(AF_INET, s.c_str(), ip.bytes) == 1) ip.family = AF_INET;
  else if (inet_pton(AF_INET6, s.c_str(), ip.bytes) == 1) ip.family = AF_INET6;
  return ip;
}

bool all_digits(std::string_view s) {
  return !s.empty() && s.size() <= 9 && s.find_first_not_of("0123456789") == std::string_view::npos;
}

int64_t number(std::string_view s) {
  int64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

[[noreturn]] void not_an_address(std::string_view command, std::string_view field,
                                 std::string_view text, std::string_view addr) {
  throw UsageError(fmt::format(
      "{}: {} '{}': '{}' is not an IPv4 or IPv6 address (a literal such as 192.0.2.53 or "
      "2001:db8::53; host names are not resolved)",
      command, field, text, addr));
}

}  // namespace

store::NotifyTarget notify_arg(std::string_view command, std::string_view text) {
  constexpr std::string_view kField = "--notify";
  std::string_view addr = text, port;
  if (text.starts_with('[')) {
    size_t close = text.find(']');
    if (close == std::string_view::npos) {
      throw UsageError(fmt::format("{}: {} '{}': missing ']' (write [ADDR]:PORT)", command,
                                   kField, text));
    }
    addr = text.substr(1, close - 1);
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (!rest.starts_with(':')) {
        throw UsageError(fmt::format("{}: {} '{}': expected ':PORT' after ']'", command, kField,
                                     text));
      }
      port = rest.substr(1);
    }
    if (parse_ip(addr).family != AF_INET6) {
      throw UsageError(fmt::format(
          "{}: {} '{}': '{}' in brackets is not an IPv6 address", command, kField, text, addr));
    }
  } else if (size_t colon = text.find(':');
             colon != std::string_view::npos && text.find(':', colon + 1) == std::string_view::npos) {
    // Exactly one colon: IPv4 with a port. Two or more: an IPv6 literal, no port.
    addr = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  Ip ip = parse_ip(addr);
  if (!ip.family) not_an_address(command, kField, text, addr);
  store::NotifyTarget t;
  t.address = ip.text();
  if (!port.empty() || text.ends_with(':')) {
    if (port.empty()) {
      throw UsageError(fmt::format("{}: {} '{}': the port is empty", command, kField, text));
    }
    if (!all_digits(port) || number(port) < 1 || number(port) > 65535) {
      throw UsageError(fmt::format("{}: {} '{}': port '{}' is out of range (allowed 1..65535)",
                                   command, kField, text, port));
    }
    t.port = static_cast<uint16_t>(number(port));
  }
  return t;
}

store::AclEntry acl_arg(std::string_view command, std::string_view text) {
  constexpr std::string_view kField = "--allow-transfer";
  store::AclEntry e;
  if (text.empty()) {
    throw UsageError(fmt::format("{}: {} is empty (write PREFIX, key:NAME or PREFIX+key:NAME)",
                                 command, kField));
  }
  std::string_view prefix = text, key;
  bool has_key = true;
  if (text.starts_with("key:")) {
    prefix = {};
    key = text.substr(4);
  } else if (size_t plus = text.find("+key:"); plus != std::string_view::npos) {
    prefix = text.substr(0, plus);
    key = text.substr(plus + 5);
    if (prefix.empty()) {
      throw UsageError(fmt::format("{}: {} '{}': the prefix before '+' is empty", command,
                                   kField, text));
    }
  } else if (text.find('+') != std::string_view::npos) {
    throw UsageError(fmt::format(
        "{}: {} '{}': write PREFIX, key:NAME or PREFIX+key:NAME", command, kField, text));
  } else {
    has_key = false;
  }
  if (has_key) {
    if (key.empty()) {
      throw UsageError(fmt::format("{}: {} '{}': the key name is empty", command, kField, text));
    }
    e.key_name = zone_name_arg(fmt::format("{}: {} '{}': key", command, kField, text), key);
  }
  if (!prefix.empty()) {
    size_t slash = prefix.find('/');
    std::string_view addr = prefix.substr(0, slash);
    Ip ip = parse_ip(addr);
    if (!ip.family) not_an_address(command, kField, text, addr);
    int64_t max_len = ip.family == AF_INET ? 32 : 128;
    int64_t len = max_len;  // a bare address is a host
    if (slash != std::string_view::npos) {
      std::string_view digits = prefix.substr(slash + 1);
      if (!all_digits(digits) || number(digits) > max_len) {
        throw UsageError(fmt::format(
            "{}: {} '{}': prefix length '{}' is out of range (allowed 0..{} for IPv{})", command,
            kField, text, digits, max_len, ip.family == AF_INET ? 4 : 6));
      }
      len = number(digits);
    }
    Ip network = ip;
    for (size_t bit = static_cast<size_t>(len); bit < ip.size() * 8; ++bit) {
      network.bytes[bit / 8] &= static_cast<unsigned char>(~(0x80u >> (bit % 8)));
    }
    if (std::string_view(reinterpret_cast<const char*>(network.bytes), ip.size()) !=
        std::string_view(reinterpret_cast<const char*>(ip.bytes), ip.size())) {
      throw UsageError(fmt::format(
          "{}: {} '{}': host bits are set after /{} (the network is {}/{})", command, kField,
          text, len, network.text(), len));
    }
    e.prefix = fmt::format("{}/{}", ip.text(), len);
  }
  return e;
}

int64_t duration_s_arg(std::string_view command, std::string_view field, std::string_view text) {
  // A unit is required: a bare number could be read as seconds or as entries.
  int64_t scale = 0;
  if (text.ends_with('s')) scale = 1;
  else if (text.ends_with('m')) scale = 60;
  else if (text.ends_with('h')) scale = 3600;
  else if (text.ends_with('d')) scale = 86400;
  std::string_view digits = text.substr(0, text.empty() ? 0 : text.size() - 1);
  if (!scale || !all_digits(digits)) {
    throw UsageError(fmt::format(
        "{}: {} '{}' is not a duration (a whole number and s, m, h or d: 30s, 10m, 12h, 7d)",
        command, field, text));
  }
  int64_t s = number(digits) * scale;
  if (s < 1 || s > kMaxAgeS) {
    throw UsageError(fmt::format("{}: {} '{}' is out of range (allowed 1s..3650d)", command, field,
                                 text));
  }
  return s;
}

std::string format_duration_s(int64_t s) {
  if (s > 0 && s % 86400 == 0) return fmt::format("{}d", s / 86400);
  if (s > 0 && s % 3600 == 0) return fmt::format("{}h", s / 3600);
  if (s > 0 && s % 60 == 0) return fmt::format("{}m", s / 60);
  return fmt::format("{}s", s);
}

std::string format_notify(const store::NotifyTarget& t) {
  if (t.address.find(':') != std::string::npos) return fmt::format("[{}]:{}", t.address, t.port);
  return fmt::format("{}:{}", t.address, t.port);
}

std::string format_acl(const store::AclEntry& e) {
  if (e.key_name.empty()) return e.prefix;
  if (e.prefix.empty()) return "key:" + e.key_name;
  return fmt::format("{}+key:{}", e.prefix, e.key_name);
}

}  // namespace fodns::cli
