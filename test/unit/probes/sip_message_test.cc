// The OPTIONS builder, the reply parser (libosip2) and TCP framing.
#include <arpa/inet.h>
#include <doctest/doctest.h>

#include <set>
#include <string>

#include "probes/sip_options/sip_reply.h"
#include "probes/sip_options/sip_request.h"

using namespace fodns::probes;

namespace {

sockaddr_storage addr(const char* ip, uint16_t port) {
  sockaddr_storage ss{};
  if (std::string(ip).find(':') != std::string::npos) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&ss);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    inet_pton(AF_INET6, ip, &in6->sin6_addr);
  } else {
    auto* in = reinterpret_cast<sockaddr_in*>(&ss);
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    inet_pton(AF_INET, ip, &in->sin_addr);
  }
  return ss;
}
const sockaddr* sa(const sockaddr_storage& s) { return reinterpret_cast<const sockaddr*>(&s); }

// The value of header `name` (first occurrence), "" if absent.
std::string header(const std::string& msg, const std::string& name) {
  auto pos = msg.find("\r\n" + name + ": ");
  if (pos == std::string::npos) return "";
  pos += name.size() + 4;
  return msg.substr(pos, msg.find("\r\n", pos) - pos);
}

// A reply to `req` as a UAS would send it (RFC 3261 §8.2.6.2: copy Via, From, Call-ID, CSeq).
std::string reply_to(const SipRequest& req, const std::string& status) {
  return "SIP/2.0 " + status + "\r\nVia: " + header(req.text, "Via") + ";received=127.0.0.1\r\nFrom: " +
         header(req.text, "From") + "\r\nTo: " + header(req.text, "To") + ";tag=abc\r\nCall-ID: " +
         header(req.text, "Call-ID") + "\r\nCSeq: " + header(req.text, "CSeq") + "\r\nContent-Length: 0\r\n\r\n";
}

}  // namespace

TEST_CASE("OPTIONS request: every mandatory header, well formed") {
  auto local = addr("192.0.2.10", 40000);
  auto target = addr("192.0.2.1", 5060);
  SipRequest req = build_options_request(default_request_uri(sa(target)), SipTransport::Udp, sa(local), 7);
  const std::string& m = req.text;
  CHECK(m.rfind("OPTIONS sip:192.0.2.1:5060 SIP/2.0\r\n", 0) == 0);
  CHECK(header(m, "Via") == "SIP/2.0/UDP 192.0.2.10:40000;branch=" + req.branch + ";rport");
  CHECK(req.branch.rfind("z9hG4bK", 0) == 0);
  CHECK(req.branch.size() > 7 + 16);
  CHECK(header(m, "Max-Forwards") == "70");
  CHECK(header(m, "From").rfind("<sip:fodns@192.0.2.10>;tag=", 0) == 0);
  CHECK(header(m, "From").size() > std::string("<sip:fodns@192.0.2.10>;tag=").size());
  CHECK(header(m, "To") == "<sip:192.0.2.1:5060>");
  CHECK(header(m, "Call-ID") == req.call_id);
  CHECK(req.call_id.find("@fodns") != std::string::npos);
  CHECK(header(m, "CSeq") == "7 OPTIONS");
  CHECK(req.cseq == 7);
  CHECK(header(m, "Contact") == "<sip:fodns@192.0.2.10:40000>");
  CHECK(header(m, "Accept") == "application/sdp");
  CHECK(header(m, "User-Agent") == std::string("fodns/") + FODNS_VERSION);
  CHECK(header(m, "Content-Length") == "0");
  CHECK(m.size() > 4);
  CHECK(m.substr(m.size() - 4) == "\r\n\r\n");
  CHECK(m.find("\r\n\r\n") == m.size() - 4);  // no body, no blank line inside
  for (size_t i = 0; i < m.size(); ++i) {     // every LF is part of a CRLF
    if (m[i] == '\n') CHECK((i > 0 && m[i - 1] == '\r'));
  }
}

TEST_CASE("OPTIONS request: TCP, IPv6 and a configured URI") {
  auto local = addr("2001:db8::10", 40001);
  auto target = addr("2001:db8::1", 5062);
  CHECK(default_request_uri(sa(target)) == "sip:[2001:db8::1]:5062");
  SipRequest req = build_options_request(default_request_uri(sa(target)), SipTransport::Tcp, sa(local), 1);
  CHECK(req.text.rfind("OPTIONS sip:[2001:db8::1]:5062 SIP/2.0\r\n", 0) == 0);
  CHECK(header(req.text, "Via").rfind("SIP/2.0/TCP [2001:db8::10]:40001;branch=z9hG4bK", 0) == 0);
  CHECK(header(req.text, "From").rfind("<sip:fodns@[2001:db8::10]>;tag=", 0) == 0);
  CHECK(header(req.text, "Contact") == "<sip:fodns@[2001:db8::10]:40001;transport=tcp>");

  SipRequest named = build_options_request("sip:ping@sbc.example.net", SipTransport::Udp, sa(local), 1);
  CHECK(named.text.rfind("OPTIONS sip:ping@sbc.example.net SIP/2.0\r\n", 0) == 0);
  CHECK(header(named.text, "To") == "<sip:ping@sbc.example.net>");
}

TEST_CASE("OPTIONS request: fresh branch, Call-ID and tag every time") {
  auto local = addr("127.0.0.1", 1);
  const SipRequestTemplate tmpl("sip:x", SipTransport::Udp, sa(local));  // what a UDP probe keeps across runs
  std::set<std::string> branches, call_ids, tags;
  for (int i = 0; i < 200; ++i) {
    SipRequest req = i % 2 ? build_options_request("sip:x", SipTransport::Udp, sa(local), 1) : tmpl.make(1);
    branches.insert(req.branch);
    call_ids.insert(req.call_id);
    tags.insert(header(req.text, "From"));
    CHECK(header(req.text, "Via") == "SIP/2.0/UDP 127.0.0.1:1;branch=" + req.branch + ";rport");
    CHECK(header(req.text, "Call-ID") == req.call_id);
  }
  CHECK(branches.size() == 200);
  CHECK(call_ids.size() == 200);
  CHECK(tags.size() == 200);
  CHECK(header(tmpl.make(4294967295u).text, "CSeq") == "4294967295 OPTIONS");
}

TEST_CASE("reply parser: 200, 503 and 1xx answering our request") {
  auto local = addr("127.0.0.1", 40000);
  SipRequest req = build_options_request("sip:127.0.0.1:5060", SipTransport::Udp, sa(local), 3);
  struct Case {
    std::string status;
    int code;
    std::string reason;
  };
  for (const auto& [status, code, reason] :
       {Case{"200 OK", 200, "OK"}, Case{"503 Service Unavailable", 503, "Service Unavailable"},
        Case{"100 Trying", 100, "Trying"}, Case{"408 Request Timeout", 408, "Request Timeout"}}) {
    const std::string& line = status;  // clang: structured bindings cannot be captured (CAPTURE is a lambda)
    CAPTURE(line);
    auto r = parse_sip_reply(reply_to(req, status));
    REQUIRE(r.ok());
    CHECK(r->status == code);
    CHECK(r->reason == reason);
    CHECK(r->branch == req.branch);
    CHECK(r->call_id == req.call_id);
    CHECK(r->cseq == 3);
    CHECK(r->cseq_method == "OPTIONS");
    CHECK(reply_matches(*r, req));
    CHECK(status_line(*r) == status);
  }
}

TEST_CASE("reply parser: wrong Call-ID, branch or CSeq do not match") {
  auto local = addr("127.0.0.1", 40000);
  // (libosip2 rejects a one-letter host such as "sip:a": use a realistic URI)
  SipRequest req = build_options_request("sip:sbc1.example.net", SipTransport::Udp, sa(local), 3);
  SipRequest other = build_options_request("sip:sbc1.example.net", SipTransport::Udp, sa(local), 3);
  auto r = parse_sip_reply(reply_to(other, "200 OK"));
  REQUIRE(r.ok());
  CHECK_FALSE(reply_matches(*r, req));

  std::string wrong_cid = reply_to(req, "200 OK");
  wrong_cid.replace(wrong_cid.find(req.call_id), req.call_id.size(), "deadbeef@fodns");
  r = parse_sip_reply(wrong_cid);
  REQUIRE(r.ok());
  CHECK(r->call_id == "deadbeef@fodns");
  CHECK_FALSE(reply_matches(*r, req));

  std::string wrong_cseq = reply_to(req, "200 OK");
  wrong_cseq.replace(wrong_cseq.find("CSeq: 3 OPTIONS"), 15, "CSeq: 4 OPTIONS");
  r = parse_sip_reply(wrong_cseq);
  REQUIRE(r.ok());
  CHECK_FALSE(reply_matches(*r, req));

  std::string wrong_method = reply_to(req, "200 OK");
  wrong_method.replace(wrong_method.find("CSeq: 3 OPTIONS"), 15, "CSeq: 3 INVITE");
  r = parse_sip_reply(wrong_method);
  REQUIRE(r.ok());
  CHECK_FALSE(reply_matches(*r, req));
}

TEST_CASE("reply parser: compact forms and folded headers") {
  std::string compact =
      "SIP/2.0 200 OK\r\n"
      "v: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKabc;rport=5070\r\n"
      "f: <sip:fodns@127.0.0.1>;tag=1\r\n"
      "t: <sip:127.0.0.1:5060>;tag=2\r\n"
      "i: 1234@fodns\r\n"
      "CSeq: 9 OPTIONS\r\n"
      "l: 0\r\n\r\n";
  auto r = parse_sip_reply(compact);
  REQUIRE(r.ok());
  CHECK(r->status == 200);
  CHECK(r->branch == "z9hG4bKabc");
  CHECK(r->call_id == "1234@fodns");
  CHECK(r->cseq == 9);

  std::string folded =
      "SIP/2.0 503 Service Unavailable\r\n"
      "Via: SIP/2.0/UDP 127.0.0.1:5070\r\n"
      " ;branch=z9hG4bKfold\r\n"
      "From: <sip:fodns@127.0.0.1>;tag=1\r\n"
      "To: <sip:127.0.0.1:5060>\r\n"
      "Call-ID: 77@fodns\r\n"
      "CSeq: 1\r\n"
      "\tOPTIONS\r\n"
      "Content-Length: 0\r\n\r\n";
  r = parse_sip_reply(folded);
  REQUIRE(r.ok());
  CHECK(r->status == 503);
  CHECK(r->branch == "z9hG4bKfold");
  CHECK(r->cseq_method == "OPTIONS");
  CHECK(r->call_id == "77@fodns");
}

TEST_CASE("reply parser: garbage, requests and truncated replies are errors") {
  auto local = addr("127.0.0.1", 40000);
  SipRequest req = build_options_request("sip:sbc1.example.net", SipTransport::Udp, sa(local), 1);
  std::string full = reply_to(req, "200 OK");
  CHECK_FALSE(parse_sip_reply("").ok());
  CHECK_FALSE(parse_sip_reply("hello world, this is not SIP").ok());
  CHECK_FALSE(parse_sip_reply(std::string("\0\xff\x01SIP/2.0 200 OK\r\n\r\n", 21)).ok());
  CHECK_FALSE(parse_sip_reply(req.text).ok());  // a request is no reply
  CHECK_FALSE(parse_sip_reply("SIP/2.0 2000 OK\r\n\r\n").ok());
  CHECK_FALSE(parse_sip_reply("SIP/2.0 099 Odd\r\nCall-ID: 1\r\n\r\n").ok());
  CHECK_FALSE(parse_sip_reply("SIP/2.0 200 OK\r\n\r\n").ok());                // no Via/Call-ID/CSeq
  CHECK_FALSE(parse_sip_reply(full.substr(0, full.find("Call-ID"))).ok());  // truncated before Call-ID
  CHECK_FALSE(parse_sip_reply(std::string(70000, 'A')).ok());
  // Every prefix and a byte-flipped copy: no crash, whatever the verdict.
  for (size_t n = 0; n <= full.size(); ++n) (void)parse_sip_reply(full.substr(0, n));
  for (size_t i = 0; i < full.size(); ++i) {
    std::string x = full;
    x[i] = static_cast<char>(x[i] ^ 0x5a);
    (void)parse_sip_reply(x);
  }
}

TEST_CASE("TCP framing: headers plus Content-Length body") {
  CHECK(sip_frame("").status == SipFrame::Incomplete);
  CHECK(sip_frame("SIP/2.0 200 OK\r\nContent-Length: 0\r\n").status == SipFrame::Incomplete);
  std::string m = "SIP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n";
  auto f = sip_frame(m + "SIP/2.0 ...");
  CHECK(f.status == SipFrame::Complete);
  CHECK(f.skip == 0);
  CHECK(f.length == m.size());

  std::string body = "SIP/2.0 200 OK\r\nl: 5\r\n\r\nhello";
  CHECK(sip_frame(body.substr(0, body.size() - 1)).status == SipFrame::Incomplete);
  f = sip_frame("\r\n\r\n" + body);
  CHECK(f.status == SipFrame::Complete);
  CHECK(f.skip == 4);
  CHECK(f.length == body.size());

  f = sip_frame("SIP/2.0 200 OK\r\ncontent-LENGTH :  3\r\n\r\nabc");
  CHECK(f.status == SipFrame::Complete);
  CHECK(sip_frame("SIP/2.0 200 OK\r\nContent-Length: x\r\n\r\n").status == SipFrame::Bad);
  CHECK(sip_frame("SIP/2.0 200 OK\r\nContent-Length: 99999999\r\n\r\n").status == SipFrame::Bad);
  CHECK(sip_frame(std::string(20000, 'x')).status == SipFrame::Bad);
}
