// Run lifetime machinery shared by all probes (see probe_run.h), make_probe().
#include <arpa/inet.h>

#include <exception>

#include <fmt/format.h>

#include "common/log.h"
#include "probes/icmp/icmp_probe.h"
#include "probes/probe_metrics.h"
#include "probes/probe_run.h"
#include "probes/sip_options/sip_options_probe.h"
#include "probes/tcp/tcp_probe.h"

namespace fodns::probes {

ProbeMetrics& probe_metrics() {
  static ProbeMetrics m;
  return m;
}

Run::Run(RunningProbe* owner, Kind kind, uv_loop_t* loop, Done done, std::chrono::milliseconds timeout)
    : start_ns_(uv_hrtime()), owner_(owner), kind_(kind), loop_(loop), done_(std::move(done)), timeout_(timeout) {
  uv_timer_init(loop_, &timer_);  // cannot fail on Linux: it only links the handle into the loop
  track(reinterpret_cast<uv_handle_t*>(&timer_));
}

void Run::track(uv_handle_t* h) {
  h->data = this;
  ++open_handles_;
}

void Run::close(uv_handle_t* h) {
  // Handles that were never initialised (socket creation failed) have no
  // data pointer: there is nothing to close.
  if (h->data != this || uv_is_closing(h)) return;
  uv_close(h, on_closed);
}

void Run::on_closed(uv_handle_t* h) {
  Run* r = of(h);
  if (--r->open_handles_ == 0) delete r;
}

void Run::start_timer() {
  auto ms = timeout_.count() > 0 ? static_cast<uint64_t>(timeout_.count()) : 1;
  uv_timer_start(&timer_, on_timer, ms, 0);
}

void Run::on_timer(uv_timer_t* t) {
  Run* r = of(reinterpret_cast<uv_handle_t*>(t));
  if (r->soon_) {
    r->finish(r->soon_result_);
  } else {
    r->finish(r->timeout_result());
  }
}

ProbeResult Run::timeout_result() {
  ProbeResult r;
  r.outcome = Outcome::Timeout;
  r.detail = timeout_detail(timeout_);
  return r;
}

void Run::finish_soon(ProbeResult r) {
  if (finished_ || soon_) return;
  soon_ = true;
  soon_result_ = std::move(r);
  uv_timer_start(&timer_, on_timer, 0, 0);
}

void Run::finish(ProbeResult r) {
  if (finished_) return;
  finished_ = true;
  uv_timer_stop(&timer_);
  close(reinterpret_cast<uv_handle_t*>(&timer_));
  close_handles();
  RunningProbe* owner = owner_;
  owner_ = nullptr;
  if (!owner) return;
  owner->run_ = nullptr;  // before `done`: it may start the next run or destroy the probe
  Done d = std::move(done_);
  done_ = nullptr;
  // `done` runs inside a libuv callback: nothing may escape into libuv.
  try {
    if (d) d(r);
  } catch (const std::exception& e) {
    log::error("msg=\"probe result handler threw\" error=\"{}\"", e.what());
  } catch (...) {
    log::error("msg=\"probe result handler threw a non-standard exception\"");
  }
}

void Run::abandon() {
  owner_ = nullptr;
  done_ = nullptr;
  if (finished_) return;
  finished_ = true;
  uv_timer_stop(&timer_);
  close(reinterpret_cast<uv_handle_t*>(&timer_));
  close_handles();
}

RunningProbe::~RunningProbe() {
  if (run_) run_->abandon();
}

ProbeResult result_from_error(int uv_err, std::string_view refused_detail, std::string_view what) {
  ProbeResult r;
  switch (uv_err) {
    case UV_ECONNREFUSED:
      r.outcome = Outcome::Refused;
      r.detail = std::string(refused_detail);
      break;
    case UV_ECONNRESET:
      r.outcome = Outcome::Refused;
      r.detail = "connection reset by peer";
      break;
    case UV_EHOSTUNREACH:
      r.outcome = Outcome::Unreachable;
      r.detail = "host unreachable";
      break;
    case UV_ENETUNREACH:
      r.outcome = Outcome::Unreachable;
      r.detail = "network unreachable";
      break;
    // The route says no: EINVAL is what the kernel returns for a blackhole
    // route, EACCES for a prohibit route, EPERM for a local firewall drop.
    // The address itself was validated when the backend was configured.
    case UV_EINVAL:
      r.outcome = Outcome::Unreachable;
      r.detail = "no route (blackhole route)";
      break;
    case UV_EACCES:
    case UV_EPERM:
      r.outcome = Outcome::Unreachable;
      r.detail = "administratively prohibited (prohibit route or local firewall)";
      break;
    case UV_ETIMEDOUT:
      r.outcome = Outcome::Timeout;
      r.detail = "timed out (kernel)";
      break;
    default:
      r.outcome = Outcome::Error;
      r.detail = fmt::format("{}: {}", what, uv_strerror(uv_err));
  }
  return r;
}

std::string timeout_detail(std::chrono::milliseconds t) { return fmt::format("timeout after {} ms", t.count()); }

std::string format_addr(const sockaddr* sa, bool with_port) {
  char buf[INET6_ADDRSTRLEN] = "?";
  if (sa->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf);
    return with_port ? fmt::format("{}:{}", buf, ntohs(in->sin_port)) : std::string(buf);
  }
  if (sa->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf);
    return with_port ? fmt::format("[{}]:{}", buf, ntohs(in6->sin6_port)) : std::string(buf);
  }
  return "?";
}

std::unique_ptr<Probe> make_probe(uv_loop_t* loop, const Target& target) {
  switch (target.kind) {
    case Kind::SipOptions: return std::make_unique<SipOptionsProbe>(loop, target);
    case Kind::Icmp: return std::make_unique<IcmpProbe>(loop, target);
    case Kind::Tcp: return std::make_unique<TcpProbe>(loop, target);
  }
  return std::make_unique<TcpProbe>(loop, target);  // unreachable: every Kind is handled above
}

}  // namespace fodns::probes
