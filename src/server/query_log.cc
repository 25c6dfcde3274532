#include "server/query_log.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>
#include <cmath>
#include <iterator>

#include <fmt/format.h>

#include "common/log.h"
#include "dns/mnemonic.h"

namespace fodns::server {
namespace {

constexpr uint32_t kMaxEvery = 1'000'000'000;

using Buf = fmt::memory_buffer;

void append_peer(Buf& b, const sockaddr* sa) {
  char host[INET6_ADDRSTRLEN];
  if (sa && sa->sa_family == AF_INET) {
    auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    fmt::format_to(std::back_inserter(b), "{}:{}", host, ntohs(in->sin_port));
  } else if (sa && sa->sa_family == AF_INET6) {
    auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
    fmt::format_to(std::back_inserter(b), "[{}]:{}", host, ntohs(in6->sin6_port));
  } else {
    b.push_back('-');
  }
}

// Presentation form of the lowercased qname; bytes that would break a key=value field
// (blank, quote, '=', backslash, non-ASCII, controls) and dots inside labels as \DDD.
void append_qname(Buf& b, const dns::Query& q) {
  const uint8_t* n = q.qname_lower;
  if (n[0] == 0) {
    b.push_back('.');
    return;
  }
  size_t pos = 0;
  while (pos < q.qname_len && n[pos] != 0) {
    uint8_t l = n[pos];
    for (size_t i = 1; i <= l; ++i) {
      uint8_t c = n[pos + i];
      if (c <= 0x20 || c >= 0x7f || c == '"' || c == '=' || c == '\\' || c == '.') {
        fmt::format_to(std::back_inserter(b), "\\{:03}", c);
      } else {
        b.push_back(static_cast<char>(c));
      }
    }
    b.push_back('.');
    pos += 1 + l;
  }
}

}  // namespace

std::optional<uint32_t> parse_query_log_rate(std::string_view text) {
  if (text == "off" || text == "0") return 0;
  if (text.starts_with("1/")) text.remove_prefix(2);
  else if (text.find('.') != std::string_view::npos) {
    double f = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), f);
    if (ec != std::errc() || p != text.data() + text.size() || !(f > 0) || f > 1) return std::nullopt;
    double every = std::round(1 / f);
    if (every > kMaxEvery) return std::nullopt;
    return static_cast<uint32_t>(every);
  }
  uint32_t n = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || p != text.data() + text.size() || n == 0 || n > kMaxEvery) {
    return std::nullopt;
  }
  return n;
}

bool TransferLogBudget::take(int64_t now) {
  if (now != second) {
    second = now;
    used = 0;
  }
  if (used >= kPerSecond) {
    ++suppressed;
    return false;
  }
  ++used;
  return true;
}

void log_transfer(const sockaddr* peer, const dns::Query& q, const xfr::TransferReply& reply,
                  Transport transport, int worker, TransferLogBudget& budget, int64_t now) {
  if (log::level() > log::Level::Info || !budget.take(now)) return;
  Buf b;  // inline buffer, as for query lines: nothing here may block the worker for long
  b.append(std::string_view("msg=\"transfer\" client="));
  append_peer(b, peer);
  b.append(std::string_view(" zone="));
  append_qname(b, q);
  fmt::format_to(std::back_inserter(b), " kind={} key=", q.qtype == 251 ? "IXFR" : "AXFR");
  if (reply.key.empty()) {
    b.push_back('-');
  } else {
    b.push_back('"');
    for (char c : reply.key) {  // a name from the wire: escape what would break the field
      auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u >= 0x7f || c == '"' || c == '\\') fmt::format_to(std::back_inserter(b), "\\{:03}", u);
      else b.push_back(c);
    }
    b.push_back('"');
  }
  b.append(std::string_view(" serial="));
  if (reply.serial) fmt::format_to(std::back_inserter(b), "{}", reply.serial);
  else b.push_back('-');
  if (reply.has_client_serial) fmt::format_to(std::back_inserter(b), " client_serial={}", reply.client_serial);
  fmt::format_to(std::back_inserter(b), " outcome={} transport={} worker={}",
                 xfr::outcome_name(reply.outcome), transport == Transport::Tcp ? "tcp" : "udp", worker);
  if (budget.suppressed) {
    fmt::format_to(std::back_inserter(b), " suppressed={}", budget.suppressed);
    budget.suppressed = 0;
  }
  log::write(log::Level::Info, std::string_view(b.data(), b.size()));
}

void log_query(const sockaddr* peer, const dns::Query& q, dns::ParseResult parsed,
               const zone::ResponseInfo& info, Transport transport, int worker) {
  if (log::level() > log::Level::Info) return;
  Buf b;  // 500 bytes inline: no heap allocation for a query line
  b.append(std::string_view("msg=\"query\" client="));
  append_peer(b, peer);
  b.append(std::string_view(" qname="));
  if (q.question_end > 0) append_qname(b, q);
  else b.push_back('-');  // the question did not parse
  b.append(std::string_view(" qtype="));
  const char* t = q.question_end > 0 ? dns::type_name(q.qtype) : "-";
  if (t) b.append(std::string_view(t));
  else fmt::format_to(std::back_inserter(b), "TYPE{}", q.qtype);
  b.append(std::string_view(" rcode="));
  if (!info.answered) {
    b.append(std::string_view("none"));  // dropped: no reply sent
  } else if (const char* r = dns::rcode_name(info.rcode)) {
    b.append(std::string_view(r));
  } else {
    fmt::format_to(std::back_inserter(b), "RCODE{}", info.rcode);
  }
  fmt::format_to(std::back_inserter(b), " transport={} worker={}",
                 transport == Transport::Tcp ? "tcp" : "udp", worker);
  if (info.truncated) b.append(std::string_view(" tc=1"));
  if (parsed == dns::ParseResult::Drop) b.append(std::string_view(" dropped=1"));
  log::write(log::Level::Info, std::string_view(b.data(), b.size()));
}

}  // namespace fodns::server
