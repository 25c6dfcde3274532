// Prometheus exposition: sums over workers, label escaping, cumulative histograms,
// every family typed, and (when installed) `promtool check metrics` accepts it.
#include "http/metrics_render.h"

#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>

using namespace fodns;

namespace {

status::StatusData made_up_status() {
  status::StatusData st;
  status::BackendStatus a;
  a.name = "sip-a";
  a.address = "192.0.2.11";
  a.port = 5060;
  a.probe = "sip-options";
  a.transport = "udp";
  a.state = "up";
  a.checks = {7, 2};  // ok, timeout
  a.rtt.counts = {1, 2, 0, 3, 0, 0, 0, 0, 0, 0, 1};  // 11 buckets, last = +Inf
  a.rtt.count = 7;
  a.rtt.sum = 1.25;
  a.failovers_down = 2;
  a.failovers_up = 1;
  st.backends.push_back(a);
  status::BackendStatus b;
  b.name = "we\"ird\\na\nme";
  b.state = "down";
  b.drained = true;
  b.rtt.counts.assign(status::kRttBuckets.size() + 1, 0);
  st.backends.push_back(b);
  st.zones.push_back({"example.net.", 2024010101, 12, 10});
  st.snapshot_loaded = true;
  st.snapshot_published_ms = 1'700'000'000'000;
  st.rebuilds = 3;
  st.rebuild_seconds.counts = {1, 1, 0, 0, 0, 0, 0, 0, 1};
  st.rebuild_seconds.count = 3;
  st.rebuild_seconds.sum = 6.5;
  st.listeners_up = true;
  return st;
}

bool has_line(const std::string& text, const std::string& line) {
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (l == line) return true;
  return false;
}

std::string render(const status::StatusData* st, std::span<const server::WorkerCounters* const> ws) {
  http::MetricsInput in;
  in.status = st;
  in.workers = ws;
  in.process.start_time_seconds = 1'699'999'000.5;
  in.process.now_ms = 1'700'000'002'500;
  in.process.resident_bytes = 4096;
  in.process.open_fds = 9;
  return http::render_metrics(in);
}

}  // namespace

TEST_CASE("render sums DNS counters over workers") {
  auto w1 = std::make_unique<server::WorkerCounters>();
  auto w2 = std::make_unique<server::WorkerCounters>();
  server::bump(w1->queries[0], 5);
  server::bump(w2->queries[0], 2);
  server::bump(w2->queries[1], 4);
  server::bump(w1->qtypes[server::qtype_bucket(1)], 3);    // A
  server::bump(w2->qtypes[server::qtype_bucket(35)], 2);   // NAPTR
  server::bump(w2->qtypes[server::qtype_bucket(99)], 1);   // other
  server::bump(w1->rcodes[3], 6);
  server::bump(w2->rcodes[3], 1);
  server::bump(w1->rcodes[16], 1);
  server::bump(w1->malformed[static_cast<size_t>(dns::Malformed::QdCount)]);
  server::bump(w1->truncated, 2);
  server::bump(w2->response_bytes, 1000);
  server::bump(w1->tcp_open, 2);
  server::bump(w2->tcp_open, 1);
  server::bump(w2->tcp_accepted, 8);
  std::vector<const server::WorkerCounters*> ws = {w1.get(), w2.get()};
  std::string text = render(nullptr, ws);
  CHECK(has_line(text, "fodns_dns_queries_total{transport=\"udp\"} 7"));
  CHECK(has_line(text, "fodns_dns_queries_total{transport=\"tcp\"} 4"));
  CHECK(has_line(text, "fodns_dns_queries_by_type_total{qtype=\"A\"} 3"));
  CHECK(has_line(text, "fodns_dns_queries_by_type_total{qtype=\"NAPTR\"} 2"));
  CHECK(has_line(text, "fodns_dns_queries_by_type_total{qtype=\"other\"} 1"));
  CHECK(has_line(text, "fodns_dns_queries_by_type_total{qtype=\"SRV\"} 0"));
  CHECK(has_line(text, "fodns_dns_responses_total{rcode=\"NXDOMAIN\"} 7"));
  CHECK(has_line(text, "fodns_dns_responses_total{rcode=\"NOERROR\"} 0"));
  CHECK(has_line(text, "fodns_dns_responses_total{rcode=\"BADVERS\"} 1"));
  CHECK_FALSE(text.find("rcode=\"YXDOMAIN\"") != std::string::npos);  // rare and zero: omitted
  CHECK(has_line(text, "fodns_dns_malformed_total{reason=\"qdcount\"} 1"));
  CHECK(has_line(text, "fodns_dns_truncated_total 2"));
  CHECK(has_line(text, "fodns_dns_response_bytes_total 1000"));
  CHECK(has_line(text, "fodns_dns_tcp_connections 3"));
  CHECK(has_line(text, "fodns_dns_tcp_connections_total 8"));
  CHECK(has_line(text, "# TYPE fodns_dns_tcp_connections gauge"));
  // No status published yet: families typed, no backend samples, snapshot not loaded.
  CHECK(has_line(text, "# TYPE fodns_backend_up gauge"));
  CHECK(text.find("fodns_backend_up{") == std::string::npos);
  CHECK(has_line(text, "fodns_snapshot_loaded 0"));
  CHECK(has_line(text, "fodns_process_open_fds 9"));
  CHECK(has_line(text, "fodns_build_info{version=\"" FODNS_VERSION "\"} 1"));
}

TEST_CASE("render backends, zones and histograms") {
  auto st = made_up_status();
  std::string text = render(&st, {});
  CHECK(has_line(text, "fodns_backend_up{backend=\"sip-a\"} 1"));
  CHECK(has_line(text, "fodns_backend_state{backend=\"sip-a\",state=\"up\"} 1"));
  CHECK(has_line(text, "fodns_backend_state{backend=\"sip-a\",state=\"down\"} 0"));
  CHECK(has_line(text, "fodns_probe_checks_total{backend=\"sip-a\",result=\"ok\"} 7"));
  CHECK(has_line(text, "fodns_probe_checks_total{backend=\"sip-a\",result=\"timeout\"} 2"));
  CHECK(has_line(text, "fodns_probe_checks_total{backend=\"sip-a\",result=\"refused\"} 0"));
  CHECK(has_line(text, "fodns_backend_failovers_total{backend=\"sip-a\",direction=\"down\"} 2"));
  CHECK(has_line(text, "fodns_backend_failovers_total{backend=\"sip-a\",direction=\"up\"} 1"));

  SUBCASE("label values are escaped") {
    const char* n = R"(we\"ird\\na\nme)";
    CHECK(has_line(text, fmt::format("fodns_backend_up{{backend=\"{}\"}} 0", n)));
    CHECK(has_line(text, fmt::format("fodns_backend_drained{{backend=\"{}\"}} 1", n)));
    // A drain wins over the probes in the state gauge, as in /status.
    CHECK(has_line(text, fmt::format("fodns_backend_state{{backend=\"{}\",state=\"drained\"}} 1", n)));
    CHECK(has_line(text, fmt::format("fodns_backend_state{{backend=\"{}\",state=\"down\"}} 0", n)));
    CHECK(http::escape_label_value("a\\b\"c\nd") == "a\\\\b\\\"c\\nd");
  }
  SUBCASE("histogram buckets are cumulative and end with +Inf") {
    CHECK(has_line(text, "fodns_probe_rtt_seconds_bucket{backend=\"sip-a\",le=\"0.0005\"} 1"));
    CHECK(has_line(text, "fodns_probe_rtt_seconds_bucket{backend=\"sip-a\",le=\"0.001\"} 3"));
    CHECK(has_line(text, "fodns_probe_rtt_seconds_bucket{backend=\"sip-a\",le=\"0.0025\"} 3"));
    CHECK(has_line(text, "fodns_probe_rtt_seconds_bucket{backend=\"sip-a\",le=\"0.005\"} 6"));
    CHECK(has_line(text, "fodns_probe_rtt_seconds_bucket{backend=\"sip-a\",le=\"0.5\"} 6"));
    CHECK(has_line(text, "fodns_probe_rtt_seconds_bucket{backend=\"sip-a\",le=\"+Inf\"} 7"));
    CHECK(has_line(text, "fodns_probe_rtt_seconds_sum{backend=\"sip-a\"} 1.25"));
    CHECK(has_line(text, "fodns_probe_rtt_seconds_count{backend=\"sip-a\"} 7"));
    CHECK(has_line(text, "# TYPE fodns_probe_rtt_seconds histogram"));
    CHECK(has_line(text, "fodns_snapshot_rebuild_seconds_bucket{le=\"0.001\"} 1"));
    CHECK(has_line(text, "fodns_snapshot_rebuild_seconds_bucket{le=\"5\"} 2"));
    CHECK(has_line(text, "fodns_snapshot_rebuild_seconds_bucket{le=\"+Inf\"} 3"));
    CHECK(has_line(text, "fodns_snapshot_rebuild_seconds_sum 6.5"));
    CHECK(has_line(text, "fodns_snapshot_rebuild_seconds_count 3"));
  }
  SUBCASE("zones and snapshot") {
    CHECK(has_line(text, "fodns_zone_serial{zone=\"example.net.\"} 2024010101"));
    CHECK(has_line(text, "fodns_zone_records_stored{zone=\"example.net.\"} 12"));
    CHECK(has_line(text, "fodns_zone_records_served{zone=\"example.net.\"} 10"));
    CHECK(has_line(text, "fodns_snapshot_rebuilds_total 3"));
    CHECK(has_line(text, "fodns_snapshot_age_seconds 2.500"));
    CHECK(has_line(text, "fodns_snapshot_loaded 1"));
  }
  SUBCASE("every sample belongs to a family with HELP and TYPE, declared once, grouped") {
    std::istringstream in(text);
    std::set<std::string> typed, helped, closed;
    std::string current;
    for (std::string l; std::getline(in, l);) {
      REQUIRE_FALSE(l.empty());
      if (l.rfind("# HELP ", 0) == 0) {
        CHECK(helped.insert(l.substr(7, l.find(' ', 7) - 7)).second);
        continue;
      }
      if (l.rfind("# TYPE ", 0) == 0) {
        std::string name = l.substr(7, l.find(' ', 7) - 7);
        CHECK(typed.insert(name).second);
        if (!current.empty()) closed.insert(current);
        current = name;
        continue;
      }
      std::string name = l.substr(0, l.find_first_of("{ "));
      for (auto suffix : {"_bucket", "_sum", "_count"}) {
        std::string s = suffix;
        if (!typed.count(name) && name.size() > s.size() &&
            name.compare(name.size() - s.size(), s.size(), s) == 0)
          name.resize(name.size() - s.size());
      }
      CHECK_MESSAGE(name == current, l);
      CHECK_FALSE(closed.count(name));
    }
    CHECK(typed == helped);
  }
}

TEST_CASE("promtool check metrics accepts the exposition") {
  const char* promtool = "/usr/bin/promtool";
  if (!std::filesystem::exists(promtool)) {
    MESSAGE("promtool not installed (Debian package prometheus): skipped");
    return;
  }
  auto st = made_up_status();
  auto w = std::make_unique<server::WorkerCounters>();
  server::bump(w->queries[0], 3);
  std::vector<const server::WorkerCounters*> ws = {w.get()};
  http::HttpStats hs;
  hs.count(http::Handler::Metrics, 200);
  probes::ProbeMetrics pm;
  http::MetricsInput in;
  in.status = &st;
  in.workers = ws;
  in.process = http::read_process_info(1'700'000'000, 1'700'000'001'000);
  in.probes = &pm;
  in.http = &hs;
  auto path = std::filesystem::temp_directory_path() /
              fmt::format("fodns-metrics-{}.txt", std::chrono::steady_clock::now().time_since_epoch().count());
  {
    std::ofstream f(path);
    f << http::render_metrics(in);
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

TEST_CASE("process info reads /proc") {
  auto p = http::read_process_info(1.5, 2000);
  CHECK(p.resident_bytes > 0);
  CHECK(p.open_fds >= 3);
  CHECK(p.cpu_seconds >= 0);
  CHECK(p.start_time_seconds == 1.5);
}

TEST_CASE("rendering 10,000 backends is fast") {
  status::StatusData st;
  for (int i = 0; i < 10000; ++i) {
    status::BackendStatus b;
    b.name = fmt::format("backend-{:05}", i);
    b.state = i % 3 ? "up" : "down";
    b.checks = {100, 3};  // ok, timeout
    b.rtt.counts.assign(status::kRttBuckets.size() + 1, 10);
    b.rtt.count = 110;
    b.rtt.sum = 0.42;
    st.backends.push_back(std::move(b));
  }
  http::MetricsInput in;
  in.status = &st;
  auto t0 = std::chrono::steady_clock::now();
  fmt::memory_buffer out;
  http::render_metrics(in, out);
  double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  MESSAGE(fmt::format("10,000 backends: {:.1f} ms, {} bytes", ms, out.size()));
  CHECK(ms < 1000);  // ~50 ms on a laptop in debugoptimized; generous for sanitizers
  CHECK(out.size() > 10000u * 1000);
}
