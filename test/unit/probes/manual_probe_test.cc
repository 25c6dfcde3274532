// Manual driver: probes a live server named by the environment, e.g.
//   FODNS_PROBE_TARGET=127.0.1.1:5060 FODNS_PROBE_KINDS=sip-udp,sip-tcp
//   build/test/unit/unit_tests -tc='manual*' -s
// Does nothing (and passes) when FODNS_PROBE_TARGET is unset. Kinds:
// sip-udp, sip-tcp, tcp, icmp. Used to check our OPTIONS against Kamailio
// (probes/sip_options/testdata/kamailio.cfg).
#include <doctest/doctest.h>

#include <cstdlib>

#include "probe_test_util.h"

using namespace fodns::probes;
using namespace probe_test;

TEST_CASE("manual: probe the server in FODNS_PROBE_TARGET") {
  const char* target = std::getenv("FODNS_PROBE_TARGET");
  if (!target) return;
  std::string t = target;
  size_t colon = t.rfind(':');
  REQUIRE(colon != std::string::npos);
  std::string host = t.substr(0, colon);
  if (!host.empty() && host.front() == '[') host = host.substr(1, host.size() - 2);
  auto addr = ip_port(host.c_str(), static_cast<uint16_t>(std::stoi(t.substr(colon + 1))));
  const char* kinds_env = std::getenv("FODNS_PROBE_KINDS");
  std::string kinds = kinds_env ? kinds_env : "sip-udp,sip-tcp";
  Loop l;
  for (const char* kind : {"sip-udp", "sip-tcp", "tcp", "icmp"}) {
    if (("," + kinds + ",").find("," + std::string(kind) + ",") == std::string::npos) continue;
    Target tg = target_at(addr, Kind::SipOptions);
    if (std::string(kind) == "sip-tcp") tg.transport = SipTransport::Tcp;
    if (std::string(kind) == "tcp") tg.kind = Kind::Tcp;
    if (std::string(kind) == "icmp") tg.kind = Kind::Icmp;
    auto p = make_probe(&l.loop, tg);
    auto r = run_once(&l.loop, *p);
    REQUIRE(r.result);
    MESSAGE(std::string(kind) << " " << t << ": " << outcome_name(r.result->outcome) << " \"" << r.result->detail
                 << "\" rtt=" << r.result->rtt.count() << "us after " << r.ms << " ms");
  }
}
