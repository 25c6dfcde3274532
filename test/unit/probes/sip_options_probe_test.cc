// SIP OPTIONS probe against an in-process fake UAS on 127.0.0.1, real libuv loop.
#include <doctest/doctest.h>

#include "probe_test_util.h"
#include "probes/probe_metrics.h"
#include "probes/sip_options/sip_options_probe.h"

using namespace fodns::probes;
using namespace probe_test;

namespace {

Target sip_target(const sockaddr_storage& a, SipTransport tp, std::chrono::milliseconds timeout = 800ms) {
  Target t = target_at(a, Kind::SipOptions, timeout);
  t.transport = tp;
  return t;
}

}  // namespace

TEST_CASE("SIP OPTIONS over UDP: 200 is Ok with an RTT") {
  Loop l;
  FakeUas uas(&l.loop, answer("200 OK"));
  SipOptionsProbe p(&l.loop, sip_target(uas.udp_addr(), SipTransport::Udp));
  auto r = run_once(&l.loop, p);
  REQUIRE(r.result);
  CHECK(r.result->outcome == Outcome::Ok);
  CHECK(r.result->sip_status == 200);
  CHECK(r.result->detail == "SIP 200 OK");
  CHECK(r.result->rtt.count() > 0);
  CHECK(r.result->rtt.count() < 100000);
  CHECK_FALSE(p.running());
  REQUIRE(uas.requests.size() == 1);
  CHECK(uas.requests[0].rfind("OPTIONS sip:127.0.0.1:", 0) == 0);
  CHECK(header(uas.requests[0], "Via").rfind("SIP/2.0/UDP 127.0.0.1:", 0) == 0);

  // The next run uses a new branch and Call-ID.
  auto r2 = run_once(&l.loop, p);
  REQUIRE(r2.result);
  CHECK(r2.result->outcome == Outcome::Ok);
  REQUIRE(uas.requests.size() == 2);
  CHECK(header(uas.requests[0], "Call-ID") != header(uas.requests[1], "Call-ID"));
  CHECK(header(uas.requests[0], "Via") != header(uas.requests[1], "Via"));
  CHECK(header(uas.requests[1], "CSeq") == "2 OPTIONS");
}

TEST_CASE("SIP OPTIONS over UDP: 503 is BadStatus, alive codes decide") {
  Loop l;
  FakeUas uas(&l.loop, answer("503 Service Unavailable"));
  SipOptionsProbe p(&l.loop, sip_target(uas.udp_addr(), SipTransport::Udp));
  auto r = run_once(&l.loop, p);
  REQUIRE(r.result);
  CHECK(r.result->outcome == Outcome::BadStatus);
  CHECK(r.result->sip_status == 503);
  CHECK(r.result->detail == "SIP 503 Service Unavailable");

  Target t = sip_target(uas.udp_addr(), SipTransport::Udp);
  t.alive = AliveCodes::parse("200-599").value();
  SipOptionsProbe lenient(&l.loop, t);
  auto r2 = run_once(&l.loop, lenient);
  REQUIRE(r2.result);
  CHECK(r2.result->outcome == Outcome::Ok);
}

TEST_CASE("SIP OPTIONS over UDP: 1xx is ignored; silence times out after one retransmission") {
  Loop l;
  FakeUas uas(&l.loop, answer("100 Trying"));
  SipOptionsProbe p(&l.loop, sip_target(uas.udp_addr(), SipTransport::Udp, 700ms));
  auto r = run_once(&l.loop, p);
  REQUIRE(r.result);
  CHECK(r.result->outcome == Outcome::Timeout);
  CHECK(r.result->detail == "timeout after 700 ms (only provisional SIP 100 Trying)");
  CHECK(r.ms >= 690);
  CHECK(r.ms < 900);
  REQUIRE(uas.requests.size() == 2);  // Timer A: the retransmission at 500 ms
  CHECK(uas.requests[0] == uas.requests[1]);

  FakeUas quiet(&l.loop, silent());
  SipOptionsProbe q(&l.loop, sip_target(quiet.udp_addr(), SipTransport::Udp, 300ms));
  auto r2 = run_once(&l.loop, q);
  REQUIRE(r2.result);
  CHECK(r2.result->outcome == Outcome::Timeout);
  CHECK(r2.result->detail == "timeout after 300 ms");
  CHECK(r2.ms >= 290);
  CHECK(r2.ms < 500);
  CHECK(quiet.requests.size() == 1);  // no retransmission when the timeout is shorter than 500 ms
}

TEST_CASE("SIP OPTIONS over UDP: ICMP port unreachable is Refused at once") {
  Loop l;
  SipOptionsProbe p(&l.loop, sip_target(ip_port("127.0.0.1", closed_port(SOCK_DGRAM)), SipTransport::Udp, 2000ms));
  auto r = run_once(&l.loop, p);
  REQUIRE(r.result);
  CHECK(r.result->outcome == Outcome::Refused);
  CHECK(r.result->detail == "ICMP port unreachable");
  CHECK(r.ms < 200);  // well before the 2 s timeout
}

TEST_CASE("SIP OPTIONS over UDP: garbage and foreign replies are counted and ignored") {
  Loop l;
  auto& m = probe_metrics();
  uint64_t garbage0 = m.get_garbage(Kind::SipOptions), unmatched0 = m.get_unmatched(Kind::SipOptions);
  FakeUas uas(&l.loop, [](const std::string&, int) {
    return std::vector<std::string>{"\x00\xff garbage", "SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP x\r\n", "SIP/2.0 200 OK"};
  });
  SipOptionsProbe p(&l.loop, sip_target(uas.udp_addr(), SipTransport::Udp, 300ms));
  auto r = run_once(&l.loop, p);
  REQUIRE(r.result);
  CHECK(r.result->outcome == Outcome::Garbage);
  CHECK(r.result->detail.rfind("no matching reply within 300 ms; 3 ignored, last: ", 0) == 0);
  CHECK(r.ms >= 290);  // it kept waiting for a good reply
  CHECK(m.get_garbage(Kind::SipOptions) == garbage0 + 3);

  // Right branch, wrong Call-ID: a well-formed reply that is not ours.
  FakeUas wrong(&l.loop, [](const std::string& req, int) {
    std::string rep = reply_to(req, "200 OK");
    std::string cid = header(req, "Call-ID");
    rep.replace(rep.find(cid), cid.size(), "0000@fodns");
    return std::vector<std::string>{rep};
  });
  SipOptionsProbe q(&l.loop, sip_target(wrong.udp_addr(), SipTransport::Udp, 300ms));
  auto r2 = run_once(&l.loop, q);
  REQUIRE(r2.result);
  CHECK(r2.result->outcome == Outcome::Garbage);
  CHECK(r2.result->detail.find("mismatch") != std::string::npos);
  CHECK(m.get_unmatched(Kind::SipOptions) == unmatched0 + 1);

  // Garbage first, then the real answer: the answer decides.
  FakeUas mixed(&l.loop, [](const std::string& req, int) {
    return std::vector<std::string>{"junk", reply_to(req, "100 Trying"), reply_to(req, "200 OK")};
  });
  SipOptionsProbe x(&l.loop, sip_target(mixed.udp_addr(), SipTransport::Udp));
  auto r3 = run_once(&l.loop, x);
  REQUIRE(r3.result);
  CHECK(r3.result->outcome == Outcome::Ok);
}

TEST_CASE("SIP OPTIONS over UDP: a late reply to a previous run never counts") {
  Loop l;
  // Run 1 is answered by nobody; every later request gets first the 200 that
  // run 1 should have had (a replayed/late reply), then 503.
  std::string first;
  FakeUas uas(&l.loop, [&first](const std::string& req, int n) {
    if (n == 1) {
      first = req;
      return std::vector<std::string>{};
    }
    if (n == 2) return std::vector<std::string>{reply_to(first, "200 OK")};  // run 2, first transmission
    return std::vector<std::string>{reply_to(first, "200 OK"), reply_to(req, "503 Service Unavailable")};
  });
  SipOptionsProbe p(&l.loop, sip_target(uas.udp_addr(), SipTransport::Udp, 300ms));
  auto r1 = run_once(&l.loop, p);
  REQUIRE(r1.result);
  CHECK(r1.result->outcome == Outcome::Timeout);
  auto r2 = run_once(&l.loop, p);
  REQUIRE(r2.result);
  CHECK(r2.result->outcome == Outcome::Garbage);  // only run 1's reply came: ignored
  auto r3 = run_once(&l.loop, p);
  REQUIRE(r3.result);
  CHECK(r3.result->outcome == Outcome::BadStatus);  // the stale 200 did not win over our 503
}

TEST_CASE("SIP OPTIONS: destroying the probe mid-run abandons it without calling done") {
  Loop l;
  FakeUas uas(&l.loop, silent());
  bool called = false;
  for (auto tp : {SipTransport::Udp, SipTransport::Tcp}) {
    auto p = std::make_unique<SipOptionsProbe>(&l.loop, sip_target(uas.udp_addr(), tp, 200ms));
    if (tp == SipTransport::Tcp) p = std::make_unique<SipOptionsProbe>(&l.loop, sip_target(uas.tcp_addr(), tp, 200ms));
    p->run([&](const ProbeResult& r) { called = true; MESSAGE(r.detail); });
    CHECK(p->running());
    l.spin(20ms);
    p.reset();
    l.spin(300ms);
  }
  CHECK_FALSE(called);
}

TEST_CASE("SIP OPTIONS: done may start the next run") {
  Loop l;
  FakeUas uas(&l.loop, answer("200 OK"));
  SipOptionsProbe p(&l.loop, sip_target(uas.udp_addr(), SipTransport::Udp));
  int results = 0;
  std::function<void(const ProbeResult&)> again = [&](const ProbeResult& r) {
    CHECK(r.ok());
    CHECK_FALSE(p.running());
    if (++results < 3) p.run(again);
  };
  p.run(again);
  for (int i = 0; i < 100 && results < 3; ++i) uv_run(&l.loop, UV_RUN_ONCE);
  CHECK(results == 3);
}

TEST_CASE("SIP OPTIONS over TCP: 200, 503, silence, close, refused") {
  Loop l;
  FakeUas ok(&l.loop, [](const std::string& req, int) {
    return std::vector<std::string>{"\r\n\r\n" + reply_to(req, "100 Trying"),
                                    reply_to(req, "200 OK", "v=0\r\n")};  // keep-alive CRLFs, a 1xx, a body
  });
  SipOptionsProbe p(&l.loop, sip_target(ok.tcp_addr(), SipTransport::Tcp));
  auto r = run_once(&l.loop, p);
  REQUIRE(r.result);
  CHECK(r.result->outcome == Outcome::Ok);
  CHECK(r.result->detail == "SIP 200 OK");
  CHECK(r.result->rtt.count() > 0);
  REQUIRE(ok.requests.size() == 1);
  CHECK(header(ok.requests[0], "Via").rfind("SIP/2.0/TCP 127.0.0.1:", 0) == 0);

  FakeUas busy(&l.loop, answer("503 Service Unavailable"));
  SipOptionsProbe b(&l.loop, sip_target(busy.tcp_addr(), SipTransport::Tcp));
  auto rb = run_once(&l.loop, b);
  REQUIRE(rb.result);
  CHECK(rb.result->outcome == Outcome::BadStatus);
  CHECK(rb.result->detail == "SIP 503 Service Unavailable");

  FakeUas quiet(&l.loop, silent());
  SipOptionsProbe q(&l.loop, sip_target(quiet.tcp_addr(), SipTransport::Tcp, 300ms));
  auto rq = run_once(&l.loop, q);
  REQUIRE(rq.result);
  CHECK(rq.result->outcome == Outcome::Timeout);
  CHECK(rq.ms >= 290);
  CHECK(rq.ms < 500);

  FakeUas closer(&l.loop, silent());
  closer.close_tcp_after_reply = true;
  SipOptionsProbe c(&l.loop, sip_target(closer.tcp_addr(), SipTransport::Tcp));
  auto rc = run_once(&l.loop, c);
  REQUIRE(rc.result);
  CHECK(rc.result->outcome == Outcome::Garbage);
  CHECK(rc.ms < 200);

  SipOptionsProbe refused(&l.loop, sip_target(ip_port("127.0.0.1", closed_port(SOCK_STREAM)), SipTransport::Tcp));
  auto rr = run_once(&l.loop, refused);
  REQUIRE(rr.result);
  CHECK(rr.result->outcome == Outcome::Refused);
  CHECK(rr.result->detail == "TCP connection refused");
  CHECK(rr.ms < 200);

  FakeUas wrong(&l.loop, [](const std::string&, int) { return std::vector<std::string>{"HTTP/1.1 400 Bad\r\n\r\n"}; });
  SipOptionsProbe w(&l.loop, sip_target(wrong.tcp_addr(), SipTransport::Tcp, 300ms));
  auto rw = run_once(&l.loop, w);
  REQUIRE(rw.result);
  CHECK(rw.result->outcome == Outcome::Garbage);
}
