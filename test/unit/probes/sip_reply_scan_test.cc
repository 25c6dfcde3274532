// The fast path of the reply parser (probes/sip_options/sip_reply_scan.h):
// the replies real servers send are taken by it and read as libosip2 reads
// them; anything outside the plain form is declined and left to libosip2.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "probes/sip_options/sip_reply_scan.h"

using namespace fodns::probes;

namespace {

const std::string kKamailio =
    "SIP/2.0 200 OK\r\n"
    "Via: SIP/2.0/UDP 127.0.0.1:40000;branch=z9hG4bKab12;rport=40000;received=127.0.0.1\r\n"
    "From: <sip:fodns@127.0.0.1>;tag=1a2b\r\n"
    "To: <sip:127.0.1.1:5060>;tag=k1\r\n"
    "Call-ID: 0123abcd@fodns\r\n"
    "CSeq: 17 OPTIONS\r\n"
    "Server: kamailio (5.6.3 (x86_64/linux))\r\n"
    "Allow: INVITE, ACK, BYE, CANCEL, OPTIONS\r\n"
    "Accept: application/sdp\r\n"
    "Content-Length: 0\r\n"
    "\r\n";

std::string replace(std::string s, const std::string& from, const std::string& to) {
  auto pos = s.find(from);
  REQUIRE(pos != std::string::npos);
  return s.replace(pos, from.size(), to);
}

void check_same_as_osip(const std::string& msg) {
  auto fast = scan_plain_sip_reply(msg);
  REQUIRE(fast.has_value());
  auto full = parse_sip_reply_osip(msg);
  REQUIRE(full.ok());
  CHECK(fast->status == full->status);
  CHECK(fast->reason == full->reason);
  CHECK(fast->call_id == full->call_id);
  CHECK(fast->branch == full->branch);
  CHECK(fast->cseq == full->cseq);
  CHECK(fast->cseq_method == full->cseq_method);
}

}  // namespace

TEST_CASE("fast path: a Kamailio 200 is read like libosip2 reads it") {
  auto r = scan_plain_sip_reply(kKamailio);
  REQUIRE(r.has_value());
  CHECK(r->status == 200);
  CHECK(r->reason == "OK");
  CHECK(r->branch == "z9hG4bKab12");
  CHECK(r->call_id == "0123abcd@fodns");
  CHECK(r->cseq == 17);
  CHECK(r->cseq_method == "OPTIONS");
  check_same_as_osip(kKamailio);
  check_same_as_osip(replace(kKamailio, "200 OK", "503 Service Unavailable"));
  check_same_as_osip(replace(kKamailio, "200 OK", "404 Not Found"));
  // Compact forms, lower-case names, a body that Content-Length covers.
  std::string compact = replace(replace(replace(kKamailio, "Via:", "v:"), "Call-ID:", "i:"), "CSeq:", "cseq:");
  compact = replace(replace(compact, "Content-Length: 0\r\n\r\n", "l: 4\r\n\r\nv=0\n"), "From:", "f:");
  check_same_as_osip(compact);
}

TEST_CASE("fast path: the fuzz corpus replies it takes, libosip2 reads the same") {
  int taken = 0;
  for (const char* name : {"200_ok", "kamailio_200", "100_trying", "404_not_found", "408_timeout",
                           "503_unavailable", "wrong_callid", "compact"}) {
    std::ifstream f(std::string(FODNS_SOURCE_DIR) + "/test/fuzz/corpus/sip_reply/" + name, std::ios::binary);
    REQUIRE(f.good());
    std::stringstream ss;
    ss << f.rdbuf();
    if (!scan_plain_sip_reply(ss.str())) continue;
    ++taken;
    check_same_as_osip(ss.str());
  }
  CHECK(taken >= 5);
}

TEST_CASE("fast path: declines what is not plain, whatever libosip2 then says") {
  const std::string cases[] = {
      replace(kKamailio, "SIP/2.0 200", "sip/2.0 200"),                       // libosip2 decides on case
      replace(kKamailio, "200 OK", "200"),                                     // no reason phrase
      replace(kKamailio, "200 OK", "2000 OK"),
      replace(kKamailio, "200 OK", "700 Odd"),
      replace(kKamailio, "Call-ID: 0123abcd@fodns\r\n", ""),                   // no Call-ID
      replace(kKamailio, "CSeq: 17 OPTIONS", "CSeq: 17"),
      replace(kKamailio, "CSeq: 17 OPTIONS", "CSeq: 99999999999 OPTIONS"),
      replace(kKamailio, "Server:", "Server:\tx\r\n y\r\nX-Folded:"),           // folding, tab
      replace(kKamailio, "rport=40000", "rport=40000, SIP/2.0/UDP 10.0.0.1"),  // two Vias in one line
      replace(kKamailio, "Accept:", "Via: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bKx\r\nAccept:"),  // a second Via
      replace(kKamailio, "branch=", "Branch="),
      replace(kKamailio, "From: <sip:fodns@127.0.0.1>", "From: \"fodns\" <sip:fodns@127.0.0.1>"),  // display name
      replace(kKamailio, "Accept:", "Contact: <sip:x@127.0.0.1>\r\nAccept:"),  // a structured header
      replace(kKamailio, "Content-Length: 0", "Content-Length: 5"),            // body shorter than announced
      replace(kKamailio, "\r\nCSeq", "\nCSeq"),                                // bare LF
      kKamailio.substr(0, kKamailio.size() - 2),                               // no end of headers
      std::string("OPTIONS sip:x SIP/2.0\r\n") + kKamailio.substr(kKamailio.find("Via:")),
      std::string(),
  };
  for (const auto& c : cases) {
    CAPTURE(c);
    CHECK_FALSE(scan_plain_sip_reply(c).has_value());
  }
}
