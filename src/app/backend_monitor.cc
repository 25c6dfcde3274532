#include "app/backend_monitor.h"

#include <arpa/inet.h>
#include <sys/resource.h>

#include <algorithm>

#include "common/log.h"

namespace fodns::app {

Result<probes::Target> target_for(const store::Backend& b) {
  probes::Target t;
  t.name = b.name;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&t.addr);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&t.addr);
  if (inet_pton(AF_INET, b.address.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(b.port));
    t.addr_len = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, b.address.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(b.port));
    t.addr_len = sizeof(sockaddr_in6);
  } else {
    return make_error("backend {}: address '{}' is not an IP address", b.name, b.address);
  }
  if (b.probe == "sip-options") t.kind = probes::Kind::SipOptions;
  else if (b.probe == "icmp") t.kind = probes::Kind::Icmp;
  else if (b.probe == "tcp") t.kind = probes::Kind::Tcp;
  else return make_error("backend {}: unknown probe '{}'", b.name, b.probe);
  t.transport = b.transport == "tcp" ? probes::SipTransport::Tcp : probes::SipTransport::Udp;
  t.timeout = std::chrono::milliseconds(b.timeout_ms);
  auto codes = probes::AliveCodes::parse(b.alive_codes);
  if (!codes) return make_error("backend {}: alive codes: {}", b.name, codes.error().message);
  t.alive = *codes;
  t.sip_uri = b.sip_uri;
  return t;
}

namespace {
// Every probe run holds a socket: up to one per backend when all of them time
// out at once (10,000 dead backends: 10,000 sockets for 800 ms). The usual
// soft limit of 1024 would turn that into EMFILE, i.e. "error" verdicts and
// spurious failovers, so raise the soft limit towards the hard one. 2048 more
// for the DNS sockets, TCP clients, SQLite and HTTP.
void ensure_fd_limit(size_t backends) {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
  rlim_t want = static_cast<rlim_t>(backends) + 2048;
  if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
    rlim_t before = rl.rlim_cur;
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ? want : std::min(want, rl.rlim_max);
    if (rl.rlim_cur > before && setrlimit(RLIMIT_NOFILE, &rl) == 0)
      log::info("msg=\"raised the open file limit for the probes\" from={} to={} backends={}", before,
                rl.rlim_cur, backends);
  }
  if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
    log::warn("msg=\"open file limit below one socket per backend; probes may fail with EMFILE\" "
              "limit={} wanted={} backends={}", rl.rlim_cur, want, backends);
  }
}
}  // namespace

namespace {
class SqliteStateStore : public health::StateStore {
 public:
  explicit SqliteStateStore(store::Db& db) : db_(db) {}
  void save(std::span<const health::BackendState* const> states) override {
    store::save_backend_states(db_, states);  // one prepared statement for the batch
  }

 private:
  store::Db& db_;
};
}  // namespace

BackendMonitor::BackendMonitor(uv_loop_t* loop, probes::ProbeRunner::Factory factory,
                               OnTransition on_transition, Clock now_ms)
    : loop_(loop), on_transition_(std::move(on_transition)), table_(now_ms) {
  runner_ = std::make_unique<probes::ProbeRunner>(
      loop_, std::move(factory), [this](int64_t id, const probes::ProbeResult& r) { record_result(id, r); });
}

void BackendMonitor::sync(const std::vector<store::Backend>& backends,
                          const std::map<int64_t, store::BackendState>& states) {
  std::map<int64_t, TrackedBackend> next;
  std::vector<health::MemberConfig> members;
  std::vector<probes::ProbeSpec> specs;
  for (const auto& b : backends) {
    auto target = target_for(b);
    if (!target) {
      log::error("msg=\"backend not probed\" error=\"{}\"", target.error().message);
      continue;
    }
    TrackedBackend t;
    auto old = backends_.find(b.id);
    if (old != backends_.end()) t = old->second;  // the counters survive config edits
    t.config = b;
    next[b.id] = std::move(t);
    members.push_back({b.id, b.name, {b.rise, b.fall}, b.drained});
    specs.push_back({b.id, *target, std::chrono::milliseconds(b.interval_ms)});
  }
  backends_ = std::move(next);
  by_id_.clear();
  by_id_.reserve(backends_.size());
  for (auto& [id, t] : backends_) by_id_.emplace(id, &t);
  table_.sync(members, states);
  if (specs.size() > 256) ensure_fd_limit(specs.size());
  runner_->sync(specs);
}

size_t BackendMonitor::probe_unknown_now() {
  auto ids = table_.wait_for_unknown();
  for (int64_t id : ids) runner_->run_now(id);
  return ids.size();
}

static_assert(status::kOutcomeCount == static_cast<size_t>(probes::Outcome::Error) + 1,
              "status::CheckCounts has a slot per probes::Outcome");

void BackendMonitor::record_result(int64_t id, const probes::ProbeResult& r) {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return;
  TrackedBackend& t = *it->second;
  ++t.checks[static_cast<size_t>(r.outcome)];
  if (r.ok()) t.rtt.observe(static_cast<double>(r.rtt.count()) / 1e6, status::kRttBuckets);
  auto rec = table_.record(id, {r.ok(), r.rtt.count(), probes::outcome_name(r.outcome), r.detail});
  // A change is under way (a failure while up, a success while down): the
  // next rounds come at half the interval, so that it is confirmed or
  // dismissed sooner.
  if (rec.change_pending) runner_->expedite(id);
  if (rec.changed) on_transition_();
}

std::vector<int64_t> BackendMonitor::save_dirty(store::Db& db) {
  SqliteStateStore sink(db);
  return table_.save_dirty(sink);
}

}  // namespace fodns::app
