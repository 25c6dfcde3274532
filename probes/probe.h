// Probe: one kind of health check (SIP OPTIONS, ICMP echo, TCP connect) aimed
// at one backend. A probe reports what it saw; it never decides up or down:
// health/health_state.h does, with rise/fall thresholds.
//
// Threading: probes run on the control loop (its uv_loop_t), never on a DNS
// worker. run() starts one check; exactly one call of `done` follows, at the
// latest `timeout` later, on the same loop. A Probe may be destroyed while a
// run is in flight: the run is abandoned and `done` is never called.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <uv.h>

#include <bitset>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "common/result.h"

namespace fodns::probes {

/// What a check found. The names are the `result` label of fodns_probe_checks_total.
enum class Outcome : uint8_t {
  Ok,
  Timeout,      // no answer within the timeout
  Refused,      // TCP RST or ICMP port unreachable: host up, service dead
  Unreachable,  // ICMP host/net unreachable, no route
  BadStatus,    // a SIP final response whose code is not in the alive set
  Garbage,      // bytes that are not a matching SIP response (counted, then ignored)
  Error,        // local failure (socket creation ...)
};
/// "ok", "timeout", "refused", "unreachable", "bad_status", "garbage", "error":
/// also the values of backend_state.last_result.
std::string_view outcome_name(Outcome o);

struct ProbeResult {
  Outcome outcome = Outcome::Error;
  std::chrono::microseconds rtt{0};
  int sip_status = 0;   // the final status code, when there was one
  std::string detail;   // for logs and `fodns status`: "SIP 503 Service Unavailable", "timeout after 800 ms"
  bool ok() const { return outcome == Outcome::Ok; }
};

/// SIP final status codes that count as alive, e.g. "200-407,409-499".
/// Default-constructed: the product default "200-407,409-499" (so 408, 5xx, 6xx
/// and silence mean down); an empty set would make every SIP probe fail.
class AliveCodes {
 public:
  static constexpr std::string_view kDefault = "200-407,409-499";
  AliveCodes();
  /// Comma-separated codes and inclusive ranges, each within 100-699.
  static Result<AliveCodes> parse(std::string_view text);
  bool contains(int code) const { return code >= 100 && code < 700 && codes_.test(static_cast<size_t>(code)); }
  const std::string& text() const { return text_; }

 private:
  struct Empty {};
  explicit AliveCodes(Empty) {}
  std::bitset<700> codes_;
  std::string text_;
};

enum class Kind : uint8_t { SipOptions, Icmp, Tcp };
/// "sip-options", "icmp", "tcp" (as in `--probe`).
std::string_view kind_name(Kind k);
enum class SipTransport : uint8_t { Udp, Tcp };

struct Target {
  std::string name;               // backend name, for logs
  sockaddr_storage addr{};        // address and port
  socklen_t addr_len = 0;
  Kind kind = Kind::SipOptions;
  SipTransport transport = SipTransport::Udp;
  std::chrono::milliseconds timeout{800};
  AliveCodes alive;
  std::string sip_uri;            // empty: sip:ADDRESS:PORT
};

using Done = std::function<void(const ProbeResult&)>;

class Probe {
 public:
  virtual ~Probe() = default;
  /// Starts one check. Must not be called while a previous run is in flight.
  virtual void run(Done done) = 0;
  virtual bool running() const = 0;
};

/// Creates the probe for `target.kind` on `loop`.
std::unique_ptr<Probe> make_probe(uv_loop_t* loop, const Target& target);

/// Checks once at startup that ICMP probes can be sent (unprivileged ICMP
/// socket or CAP_NET_RAW); the error says how to allow it.
Status check_icmp_available(int family);

}  // namespace fodns::probes
