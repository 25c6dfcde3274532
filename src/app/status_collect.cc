#include "app/status_collect.h"

namespace fodns::app {
namespace {

status::BackendStatus backend_status(const store::Backend& c, const health::BackendState* s,
                                     const TrackedBackend* t, const health::Member* h) {
  status::BackendStatus b;
  b.id = c.id;
  b.name = c.name;
  b.address = c.address;
  b.port = c.port;
  b.probe = c.probe;
  b.transport = c.transport;
  b.drained = c.drained;
  b.drain_reason = c.drain_reason;
  if (s) {
    b.state = s->state;
    b.since_ms = s->since_ms;
    b.last_check_ms = s->last_check_ms;
    b.last_rtt_us = s->last_rtt_us;
    b.last_result = s->last_result;
    b.last_error = s->last_error;
    b.successes = s->successes;
    b.failures = s->failures;
  } else {
    b.state = "unknown";
  }
  b.rtt = t ? t->rtt : status::Histogram::over(status::kRttBuckets);
  if (t) b.checks = t->checks;
  if (h) {
    b.failovers_down = h->failovers_down;
    b.failovers_up = h->failovers_up;
  }
  return b;
}

}  // namespace

std::vector<status::BackendStatus> backend_statuses(const BackendMonitor* monitor,
                                                    const std::vector<store::Backend>& configs,
                                                    const std::map<int64_t, store::BackendState>& states) {
  std::vector<status::BackendStatus> out;
  if (monitor) {
    out.reserve(monitor->backends().size());
    for (const auto& [id, t] : monitor->backends()) {
      const health::Member* h = monitor->table().find(id);
      out.push_back(backend_status(t.config, h ? &h->saved : nullptr, &t, h));
    }
    return out;
  }
  out.reserve(configs.size());
  for (const auto& c : configs) {
    auto it = states.find(c.id);
    out.push_back(backend_status(c, it == states.end() ? nullptr : &it->second, nullptr, nullptr));
  }
  return out;
}

status::ZoneStatus zone_status(const std::string& name, uint32_t serial, uint64_t records_stored,
                               uint64_t records_served, const xfr::Notifier* notifier) {
  status::ZoneStatus z;
  z.name = name;
  z.serial = serial;
  z.records_stored = records_stored;
  z.records_served = records_served;
  if (notifier) {
    auto it = notifier->stats().find(name);
    if (it != notifier->stats().end()) {
      z.notify_sent = it->second.sent;
      z.notify_answered = it->second.answered;
      z.notify_gave_up = it->second.gave_up;
    }
  }
  return z;
}

void set_readiness(status::StatusData& d) {
  if (!d.snapshot_loaded) d.not_ready_reason = "no snapshot loaded";
  else if (!d.listeners_up) d.not_ready_reason = "DNS listeners not up";
}

}  // namespace fodns::app
