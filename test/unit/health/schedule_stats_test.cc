// Probe schedule punctuality: ScheduleStats classifies lag (late, missed,
// histogram), ProbeRunner records one sample per round and sees a blocked
// control loop, and /metrics exports the families (promtool-valid).
#include "health/schedule_stats.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "probes/probe_runner.h"
#include "http/metrics_render.h"

using namespace fodns;

namespace {

// Finishes every run on the next loop iteration with Ok.
class InstantProbe : public probes::Probe {
 public:
  explicit InstantProbe(uv_loop_t* loop) {
    idle_ = new uv_idle_t;
    uv_idle_init(loop, idle_);
    idle_->data = this;
  }
  ~InstantProbe() override {
    idle_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(idle_), [](uv_handle_t* h) { delete reinterpret_cast<uv_idle_t*>(h); });
  }
  void run(probes::Done done) override {
    done_ = std::move(done);
    running_ = true;
    uv_idle_start(idle_, [](uv_idle_t* h) {
      uv_idle_stop(h);
      auto* self = static_cast<InstantProbe*>(h->data);
      if (!self) return;
      self->running_ = false;
      probes::ProbeResult r;
      r.outcome = probes::Outcome::Ok;
      self->done_(r);
    });
  }
  bool running() const override { return running_; }

 private:
  uv_idle_t* idle_;
  probes::Done done_;
  bool running_ = false;
};

void run_for(uv_loop_t* loop, uint64_t ms) {
  uv_timer_t stop;
  uv_timer_init(loop, &stop);
  uv_timer_start(&stop, [](uv_timer_t* t) { uv_stop(t->loop); }, ms, 0);
  uv_run(loop, UV_RUN_DEFAULT);
  uv_close(reinterpret_cast<uv_handle_t*>(&stop), nullptr);
  uv_run(loop, UV_RUN_NOWAIT);
}

probes::ProbeSpec spec(int64_t id, uint64_t interval_ms) {
  probes::ProbeSpec s;
  s.backend_id = id;
  s.target.name = "b" + std::to_string(id);
  s.interval = std::chrono::milliseconds(interval_ms);
  return s;
}

uint64_t total(const health::ScheduleStats& s) {
  uint64_t n = 0;
  for (const auto& b : s.buckets) n += b.load();
  return n;
}

}  // namespace

TEST_CASE("schedule stats: late is beyond a tenth of the interval, missed counts whole intervals") {
  health::ScheduleStats s;
  const uint64_t second = 1'000'000;
  s.record(0, second);             // on time
  s.record(900, second);           // 0.9 ms: first bucket (le 0.001)
  s.record(100'000, second);       // exactly interval/10: not late
  s.record(100'001, second);       // late
  s.record(999'999, second);       // late, not yet missed
  s.record(2'500'000, second);     // late, two whole rounds lost
  s.record(7'000'000, 0);          // a zero interval never divides
  CHECK(s.get(s.count) == 7);
  CHECK(s.get(s.late) == 3);
  CHECK(s.get(s.missed) == 2);
  CHECK(s.get(s.lag_sum_us) == 900 + 100'000 + 100'001 + 999'999 + 2'500'000 + 7'000'000);
  CHECK(s.get(s.buckets[0]) == 2);   // <= 1 ms
  CHECK(s.get(s.buckets[5]) == 1);   // <= 100 ms (bounds are inclusive, as Prometheus' le)
  CHECK(s.get(s.buckets[6]) == 1);   // <= 250 ms
  CHECK(s.get(s.buckets[8]) == 1);   // <= 1 s
  CHECK(s.get(s.buckets[9]) == 1);   // <= 5 s
  CHECK(s.get(s.buckets[10]) == 1);  // +Inf
  CHECK(total(s) == s.get(s.count));
}

TEST_CASE("probe runner: one lag sample per round; a blocked loop shows as late and missed rounds") {
  uv_loop_t loop;
  uv_loop_init(&loop);
  health::ScheduleStats stats;
  {
    probes::ProbeRunner runner(
        &loop, [](uv_loop_t* l, const probes::Target&) { return std::make_unique<InstantProbe>(l); },
        [](int64_t, const probes::ProbeResult&) {}, &stats);
    runner.sync({spec(1, 40), spec(2, 40), spec(3, 40)});
    run_for(&loop, 300);
    CHECK(stats.get(stats.count) == runner.rounds() + runner.skipped_rounds());
    CHECK(stats.get(stats.count) >= 15);  // ~21 rounds in 300 ms; loose, the machine is shared
    CHECK(&runner.schedule() == &stats);
    uint64_t missed_before = stats.get(stats.missed);
    uint64_t late_before = stats.get(stats.late);

    // Hold the loop for 250 ms (a slow SQLite commit, say): every session's next
    // round comes at least ~200 ms late, five 40 ms intervals.
    uv_timer_t block;
    uv_timer_init(&loop, &block);
    uv_timer_start(&block, [](uv_timer_t*) { usleep(250'000); }, 1, 0);
    run_for(&loop, 400);
    uv_close(reinterpret_cast<uv_handle_t*>(&block), nullptr);
    CHECK(stats.get(stats.late) >= late_before + 3);
    CHECK(stats.get(stats.missed) >= missed_before + 3 * 4);
    CHECK(stats.get(stats.buckets[7]) + stats.get(stats.buckets[6]) >= 3);  // 0.1 < lag <= 0.5 s
  }
  uv_run(&loop, UV_RUN_NOWAIT);
  CHECK(uv_loop_close(&loop) == 0);
}

TEST_CASE("metrics: schedule families are exported and promtool accepts them") {
  health::ScheduleStats s;
  s.record(2000, 1'000'000);
  s.record(300'000, 1'000'000);
  s.record(1'200'000, 1'000'000);
  http::MetricsInput in;
  in.schedule = &s;
  std::string text = http::render_metrics(in);
  CHECK(text.find("# TYPE fodns_probe_rounds_late_total counter\nfodns_probe_rounds_late_total 2\n") !=
        std::string::npos);
  CHECK(text.find("fodns_probe_rounds_missed_total 1\n") != std::string::npos);
  CHECK(text.find("fodns_probe_schedule_lag_seconds_bucket{le=\"0.001\"} 0\n") != std::string::npos);
  CHECK(text.find("fodns_probe_schedule_lag_seconds_bucket{le=\"0.005\"} 1\n") != std::string::npos);
  CHECK(text.find("fodns_probe_schedule_lag_seconds_bucket{le=\"0.5\"} 2\n") != std::string::npos);
  CHECK(text.find("fodns_probe_schedule_lag_seconds_bucket{le=\"+Inf\"} 3\n") != std::string::npos);
  CHECK(text.find("fodns_probe_schedule_lag_seconds_sum 1.502\n") != std::string::npos);
  CHECK(text.find("fodns_probe_schedule_lag_seconds_count 3\n") != std::string::npos);

  in.schedule = nullptr;  // left out when not given
  CHECK(http::render_metrics(in).find("fodns_probe_rounds_late_total") == std::string::npos);

  const char* promtool = "/usr/bin/promtool";
  if (!std::filesystem::exists(promtool)) {
    MESSAGE("promtool not installed (Debian package prometheus): skipped");
    return;
  }
  auto path = std::filesystem::temp_directory_path() /
              fmt::format("fodns-sched-{}.txt", std::chrono::steady_clock::now().time_since_epoch().count());
  {
    std::ofstream f(path);
    f << text;
  }
  std::string cmd = fmt::format("{} check metrics < {} 2>&1", promtool, path.string());
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p);
  std::string output;
  char buf[512];
  while (size_t n = fread(buf, 1, sizeof buf, p)) output.append(buf, n);
  int rc = pclose(p);
  std::filesystem::remove(path);
  CHECK_MESSAGE(rc == 0, output);
}
