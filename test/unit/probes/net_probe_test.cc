// TCP connect and ICMP echo probes on loopback, real libuv loop; make_probe().
#include <doctest/doctest.h>

#include "probe_test_util.h"
#include "probes/icmp/icmp_probe.h"
#include "probes/tcp/tcp_probe.h"

using namespace fodns::probes;
using namespace probe_test;

TEST_CASE("TCP probe: connect is Ok, a closed port is Refused at once") {
  Loop l;
  FakeUas uas(&l.loop, silent());
  auto p = make_probe(&l.loop, target_at(uas.tcp_addr(), Kind::Tcp));
  auto r = run_once(&l.loop, *p);
  REQUIRE(r.result);
  CHECK(r.result->outcome == Outcome::Ok);
  CHECK(r.result->rtt.count() > 0);

  auto q = make_probe(&l.loop, target_at(ip_port("127.0.0.1", closed_port(SOCK_STREAM)), Kind::Tcp, 2000ms));
  auto rq = run_once(&l.loop, *q);
  REQUIRE(rq.result);
  CHECK(rq.result->outcome == Outcome::Refused);
  CHECK(rq.result->detail == "TCP connection refused");
  CHECK(rq.ms < 200);
}

TEST_CASE("TCP probe: destroyed mid-run, done is never called") {
  Loop l;
  bool called = false;
  FakeUas uas(&l.loop, silent());
  auto p = make_probe(&l.loop, target_at(uas.tcp_addr(), Kind::Tcp, 300ms));
  p->run([&](const ProbeResult&) { called = true; });
  p.reset();  // before the connect completed: its callback must not reach a dead probe
  l.spin(400ms);
  CHECK_FALSE(called);
}

TEST_CASE("ICMP probe: echo to loopback") {
  for (const char* ip : {"127.0.0.1", "::1"}) {
    std::string ip_s = ip;
    CAPTURE(ip_s);
    int family = std::string(ip) == "::1" ? AF_INET6 : AF_INET;
    auto st = check_icmp_available(family);
    if (!st.ok()) {
      MESSAGE("ICMP skipped: " << st.error().message);
      continue;
    }
    std::string type = icmp_socket_type(family) == SOCK_DGRAM ? "SOCK_DGRAM (ping socket)" : "SOCK_RAW";
    MESSAGE("ICMP socket type: " << type);
    Loop l;
    auto p = make_probe(&l.loop, target_at(ip_port(ip, 0), Kind::Icmp, 1000ms));
    // Destroyed before its reply arrived: no callback, no leak (handles close later).
    bool called = false;
    make_probe(&l.loop, target_at(ip_port(ip, 0), Kind::Icmp, 1000ms))->run([&](const ProbeResult&) { called = true; });
    for (int i = 0; i < 3; ++i) {
      auto r = run_once(&l.loop, *p);
      REQUIRE(r.result);
      if (family == AF_INET6 && r.result->outcome != Outcome::Ok) {
        MESSAGE("IPv6 loopback unusable here: " << r.result->detail);
        break;
      }
      CHECK(r.result->outcome == Outcome::Ok);
      CHECK(r.result->detail == "ICMP echo reply");
      CHECK(r.result->rtt.count() > 0);
      CHECK(r.ms < 500);
    }
    CHECK_FALSE(called);
  }
}

TEST_CASE("check_icmp_available: the error says how to allow ICMP") {
  auto st = check_icmp_available(AF_INET);
  if (st.ok()) {
    CHECK(icmp_socket_type(AF_INET) != 0);
  } else {
    CHECK(st.error().message.find("CAP_NET_RAW") != std::string::npos);
    CHECK(st.error().message.find("ping_group_range") != std::string::npos);
  }
}
