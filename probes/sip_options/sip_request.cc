// OPTIONS request builder. The header set is what RFC 3261 §8.1.1 makes
// mandatory plus what keeps strict proxies (Kamailio's sanity checks) happy:
// Max-Forwards, Contact, Accept, Content-Length.
#include "probes/sip_options/sip_request.h"

#include <random>

#include <fmt/format.h>

#include "common/assert.h"
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

void append_random_hex(std::string& out, size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  uint64_t bits = 0;
  for (size_t i = 0; i < n; ++i) {
    if (i % 16 == 0) bits = rng()();
    out.push_back(kHex[bits & 0xf]);
    bits >>= 4;
  }
}

}  // namespace

std::string random_hex(size_t n) {
  std::string out;
  out.reserve(n);
  append_random_hex(out, n);
  return out;
}

std::string default_request_uri(const sockaddr* addr) { return "sip:" + format_addr(addr, true); }

SipRequestTemplate::SipRequestTemplate(const std::string& request_uri, SipTransport transport,
                                       const sockaddr* local) {
  const bool tcp = transport == SipTransport::Tcp;
  const std::string hostport = format_addr(local, true);
  const std::string host = local->sa_family == AF_INET6 ? "[" + format_addr(local, false) + "]"
                                                        : format_addr(local, false);
  piece_[0] = fmt::format("OPTIONS {} SIP/2.0\r\nVia: SIP/2.0/{} {};branch=z9hG4bK", request_uri, tcp ? "TCP" : "UDP",
                          hostport);  // the magic cookie marks an RFC 3261 branch (§8.1.1.7)
  piece_[1] = fmt::format(";rport\r\nMax-Forwards: 70\r\nFrom: <sip:fodns@{}>;tag=", host);
  piece_[2] = fmt::format("\r\nTo: <{}>\r\nCall-ID: ", request_uri);
  piece_[3] = "\r\nCSeq: ";
  piece_[4] = fmt::format(
      " OPTIONS\r\n"
      "Contact: <sip:fodns@{}{}>\r\n"
      "Accept: application/sdp\r\n"
      "User-Agent: fodns/{}\r\n"
      "Content-Length: 0\r\n"
      "\r\n",
      hostport, tcp ? ";transport=tcp" : "", FODNS_VERSION);
}

SipRequest SipRequestTemplate::make(uint32_t cseq) const {
  FODNS_BUG(piece_[0].size() >= 7);  // made by the constructor that takes the URI
  if (piece_[0].size() < 7) return {};
  static constexpr size_t kBranchHex = 20, kTagHex = 16, kCallIdHex = 32;
  static constexpr std::string_view kCallIdHost = "@fodns";
  SipRequest req;
  req.cseq = cseq;
  std::string& t = req.text;
  t.reserve(piece_[0].size() + piece_[1].size() + piece_[2].size() + piece_[3].size() + piece_[4].size() +
            kBranchHex + kTagHex + kCallIdHex + kCallIdHost.size() + 10);
  t += piece_[0];
  size_t branch_at = t.size() - 7;  // "z9hG4bK" is part of the branch
  append_random_hex(t, kBranchHex);
  req.branch = t.substr(branch_at);
  t += piece_[1];
  append_random_hex(t, kTagHex);
  t += piece_[2];
  size_t call_id_at = t.size();
  append_random_hex(t, kCallIdHex);
  t += kCallIdHost;
  req.call_id = t.substr(call_id_at);
  t += piece_[3];
  t += std::to_string(cseq);
  t += piece_[4];
  return req;
}

SipRequest build_options_request(const std::string& request_uri, SipTransport transport, const sockaddr* local,
                                 uint32_t cseq) {
  return SipRequestTemplate(request_uri, transport, local).make(cseq);
}

}  // namespace fodns::probes
