// OPTIONS request builder. The header set is what RFC 3261 §8.1.1 makes
// mandatory plus what keeps strict proxies (Kamailio's sanity checks) happy:
// Max-Forwards, Contact, Accept, Content-Length.
#include "probes/sip_options/sip_request.h"

#include <random>

#include <fmt/format.h>

#include "probes/probe_run.h"

namespace fodns::probes {

namespace {

std::mt19937_64& rng() {
  // One generator per thread (probes run on the control loop only, but tests
  // and tools may build requests elsewhere); seeded with 256 bits.
  thread_local std::mt19937_64 gen = [] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd(), rd(), rd()};
    return std::mt19937_64(seq);
  }();
  return gen;
}

}  // namespace

std::string random_hex(size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(n);
  uint64_t bits = 0;
  for (size_t i = 0; i < n; ++i) {
    if (i % 16 == 0) bits = rng()();
    out.push_back(kHex[bits & 0xf]);
    bits >>= 4;
  }
  return out;
}

std::string default_request_uri(const sockaddr* addr) { return "sip:" + format_addr(addr, true); }

SipRequest build_options_request(const std::string& request_uri, SipTransport transport, const sockaddr* local,
                                 uint32_t cseq) {
  SipRequest req;
  req.branch = "z9hG4bK" + random_hex(20);  // the magic cookie marks an RFC 3261 branch (§8.1.1.7)
  req.call_id = random_hex(32) + "@fodns";
  req.cseq = cseq;
  const bool tcp = transport == SipTransport::Tcp;
  const std::string hostport = format_addr(local, true);
  const std::string host = local->sa_family == AF_INET6 ? "[" + format_addr(local, false) + "]"
                                                        : format_addr(local, false);
  req.text = fmt::format(
      "OPTIONS {uri} SIP/2.0\r\n"
      "Via: SIP/2.0/{tp} {hostport};branch={branch};rport\r\n"
      "Max-Forwards: 70\r\n"
      "From: <sip:fodns@{host}>;tag={tag}\r\n"
      "To: <{uri}>\r\n"
      "Call-ID: {callid}\r\n"
      "CSeq: {cseq} OPTIONS\r\n"
      "Contact: <sip:fodns@{hostport}{tpparam}>\r\n"
      "Accept: application/sdp\r\n"
      "User-Agent: fodns/{version}\r\n"
      "Content-Length: 0\r\n"
      "\r\n",
      fmt::arg("uri", request_uri), fmt::arg("tp", tcp ? "TCP" : "UDP"), fmt::arg("hostport", hostport),
      fmt::arg("branch", req.branch), fmt::arg("host", host), fmt::arg("tag", random_hex(16)),
      fmt::arg("callid", req.call_id), fmt::arg("cseq", cseq), fmt::arg("tpparam", tcp ? ";transport=tcp" : ""),
      fmt::arg("version", FODNS_VERSION));
  return req;
}

}  // namespace fodns::probes
