// MetricsServer on 127.0.0.1 port 0: routes and methods, /healthz 503 -> 200,
// oversized headers refused, 100 connections at once answered or closed (none
// hangs), a silent client dropped after the timeout while scrapes go on.
#include "http/metrics_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <memory>
#include <string>
#include <vector>

using namespace fodns;
using Clock = std::chrono::steady_clock;

namespace {

int connect_to(uint16_t port, const char* source = nullptr) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  if (source) {
    sockaddr_in src{};
    src.sin_family = AF_INET;
    inet_pton(AF_INET, source, &src.sin_addr);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof src) == 0);
  }
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) == 0);
  return fd;
}

void send_all(int fd, const std::string& data) {
  size_t off = 0;
  while (off < data.size()) {
    ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return;  // the server may close early (oversized request)
    off += static_cast<size_t>(n);
  }
}

// Reads until the peer closes, an error, or `timeout_ms`.
std::string read_all(int fd, int timeout_ms = 5000) {
  std::string out;
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  char buf[65536];
  while (true) {
    int left = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count());
    if (left <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, left) <= 0) break;
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

struct Reply {
  int code = 0;  // 0: closed without a status line
  std::string headers;
  std::string body;
};

Reply parse(const std::string& raw) {
  Reply r;
  if (raw.rfind("HTTP/1.", 0) == 0 && raw.size() > 12) r.code = std::stoi(raw.substr(9, 3));
  auto end = raw.find("\r\n\r\n");
  if (end != std::string::npos) {
    r.headers = raw.substr(0, end);
    r.body = raw.substr(end + 4);
  }
  return r;
}

Reply request(uint16_t port, const std::string& method, const std::string& path,
              const std::string& extra = "") {
  int fd = connect_to(port);
  send_all(fd, method + " " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n" +
                   extra + "\r\n");
  Reply r = parse(read_all(fd));
  ::close(fd);
  return r;
}

struct Fixture {
  status::StatusBoard board;
  std::vector<std::unique_ptr<server::WorkerCounters>> counters;
  std::unique_ptr<http::MetricsServer> server;

  explicit Fixture(http::MetricsServerOptions opts = {}) {
    counters.push_back(std::make_unique<server::WorkerCounters>());
    counters.push_back(std::make_unique<server::WorkerCounters>());
    auto addr = http::parse_http_address("127.0.0.1:0");
    REQUIRE(addr.ok());
    REQUIRE(addr->has_value());
    server = std::make_unique<http::MetricsServer>(
        **addr, board,
        [this] {
          std::vector<const server::WorkerCounters*> v;
          for (auto& c : counters) v.push_back(c.get());
          return v;
        },
        std::chrono::system_clock::now(), opts);
    auto st = server->start();
    REQUIRE_MESSAGE(st.ok(), (st.ok() ? "" : st.error().message));
    REQUIRE(server->port() != 0);
  }
  uint16_t port() const { return server->port(); }
  void publish(bool loaded, bool listeners) {
    auto d = std::make_shared<status::StatusData>();
    d->snapshot_loaded = loaded;
    d->listeners_up = listeners;
    if (!loaded) d->not_ready_reason = "no snapshot loaded";
    else if (!listeners) d->not_ready_reason = "DNS listeners not up";
    status::BackendStatus b;
    b.name = "sip-a";
    b.state = "up";
    b.rtt.counts.assign(status::kRttBuckets.size() + 1, 0);
    d->backends.push_back(b);
    d->zones.push_back({"example.net.", 42, 3, 3});
    board.publish(d);
  }
};

}  // namespace

TEST_CASE("parse_http_address") {
  auto none = http::parse_http_address("none");
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());
  auto v4 = http::parse_http_address(http::kDefaultHttpAddress);
  REQUIRE(v4.ok());
  CHECK((*v4)->port() == 9153);
  CHECK((*v4)->family() == AF_INET);
  auto v6 = http::parse_http_address("[::1]:9153");
  REQUIRE(v6.ok());
  CHECK((*v6)->family() == AF_INET6);
  CHECK_FALSE(http::parse_http_address("localhost:9153").ok());
  CHECK_FALSE(http::parse_http_address("127.0.0.1").ok());
  CHECK_FALSE(http::parse_http_address("127.0.0.1:70000").ok());
  auto bad = http::parse_http_address("nonsense");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message.find("--http 'nonsense'") == 0);
}

TEST_CASE("routes, methods and HEAD") {
  Fixture f;
  f.publish(true, true);
  server::bump(f.counters[0]->queries[0], 3);
  server::bump(f.counters[1]->queries[0], 4);

  Reply m = request(f.port(), "GET", "/metrics");
  CHECK(m.code == 200);
  CHECK(m.headers.find("Content-Type: text/plain; version=0.0.4") != std::string::npos);
  CHECK(m.body.find("fodns_dns_queries_total{transport=\"udp\"} 7\n") != std::string::npos);
  CHECK(m.body.find("fodns_backend_up{backend=\"sip-a\"} 1\n") != std::string::npos);
  CHECK(m.body.find("fodns_zone_serial{zone=\"example.net.\"} 42\n") != std::string::npos);

  Reply q = request(f.port(), "GET", "/metrics?name[]=x");  // query strings are ignored
  CHECK(q.code == 200);

  Reply h = request(f.port(), "HEAD", "/metrics");
  CHECK(h.code == 200);
  CHECK(h.body.empty());
  CHECK(h.headers.find("Content-Length: ") != std::string::npos);

  Reply s = request(f.port(), "GET", "/status");
  CHECK(s.code == 200);
  CHECK(s.headers.find("Content-Type: application/json") != std::string::npos);
  CHECK(s.body.rfind("{\"backends\":[{\"name\":\"sip-a\"", 0) == 0);
  CHECK(s.body.find("\"zones\":[{\"name\":\"example.net.\",\"serial\":42,\"records\":3}]") !=
        std::string::npos);

  CHECK(request(f.port(), "GET", "/").code == 404);
  CHECK(request(f.port(), "GET", "/metricsx").code == 404);
  CHECK(request(f.port(), "HEAD", "/nope").code == 404);

  Reply post = request(f.port(), "POST", "/metrics", "Content-Length: 5\r\n\r\nhello");
  CHECK(post.code == 405);
  CHECK(post.headers.find("Allow: GET, HEAD") != std::string::npos);
  CHECK(request(f.port(), "DELETE", "/status").code == 405);
  CHECK(request(f.port(), "PUT", "/nope").code == 405);

  // The server counts itself.
  Reply again = request(f.port(), "GET", "/metrics");
  CHECK(again.body.find("fodns_http_requests_total{handler=\"metrics\",code=\"200\"} 3\n") !=
        std::string::npos);
  CHECK(again.body.find("fodns_http_requests_total{handler=\"metrics\",code=\"405\"} 1\n") !=
        std::string::npos);
}

TEST_CASE("a reused /metrics render never hides a request or a state change made before the scrape") {
  // Reuse made certain (10 s) instead of depending on how long a render took:
  // the test used to flake when a slow render made the next scrape reuse it.
  http::MetricsServerOptions opts;
  opts.render_reuse_floor_us = 10'000'000;
  Fixture f(opts);
  f.publish(true, true);
  Reply a = request(f.port(), "GET", "/metrics");
  REQUIRE(a.code == 200);
  CHECK(a.body.find("fodns_http_requests_total{handler=\"status\",code=\"200\"} 0\n") !=
        std::string::npos);
  // Nothing else happened: the same render is served (the storm case).
  Reply b = request(f.port(), "GET", "/metrics");
  CHECK(b.body == a.body);
  CHECK(request(f.port(), "GET", "/status").code == 200);
  Reply c = request(f.port(), "GET", "/metrics");
  CHECK(c.body.find("fodns_http_requests_total{handler=\"status\",code=\"200\"} 1\n") !=
        std::string::npos);
  // A new board (a state change) is seen at the next scrape as well.
  f.publish(true, false);
  Reply d = request(f.port(), "GET", "/metrics");
  CHECK(d.body != c.body);
  CHECK(d.body.find("fodns_http_requests_total{handler=\"metrics\",code=\"200\"} 3\n") !=
        std::string::npos);
}

TEST_CASE("healthz: 503 with a reason until a snapshot is loaded and listeners are up") {
  Fixture f;
  Reply r = request(f.port(), "GET", "/healthz");
  CHECK(r.code == 503);
  CHECK(r.body == "starting: no status published yet\n");
  f.publish(false, true);
  r = request(f.port(), "GET", "/healthz");
  CHECK(r.code == 503);
  CHECK(r.body == "no snapshot loaded\n");
  f.publish(true, false);
  r = request(f.port(), "GET", "/healthz");
  CHECK(r.code == 503);
  CHECK(r.body == "DNS listeners not up\n");
  f.publish(true, true);
  r = request(f.port(), "GET", "/healthz");
  CHECK(r.code == 200);
  CHECK(r.body == "ok\n");
  CHECK(request(f.port(), "HEAD", "/healthz").code == 200);
}

TEST_CASE("healthz: 200 but degraded while the database is unreadable; metrics say so") {
  Fixture f;
  auto d = std::make_shared<status::StatusData>();
  d->snapshot_loaded = true;
  d->listeners_up = true;
  d->database_readable = false;
  d->database_last_good_read_ms = 1'700'000'000'500;
  d->degraded_reason = "database unreadable since 2026-12-05T19:50:01Z: cannot read\ndatabase";
  f.board.publish(d);
  Reply r = request(f.port(), "GET", "/healthz");
  CHECK(r.code == 200);  // DNS is still answered from the last snapshot
  CHECK(r.body == "degraded: database unreadable since 2026-12-05T19:50:01Z: cannot read database\n");
  Reply s = request(f.port(), "GET", "/status");
  CHECK(s.body.find("\"degraded\":\"database unreadable since 2026-12-05T19:50:01Z") !=
        std::string::npos);
  Reply m = request(f.port(), "GET", "/metrics");
  CHECK(m.body.find("\nfodns_database_readable 0\n") != std::string::npos);
  CHECK(m.body.find("\nfodns_database_last_read_timestamp_seconds 1700000000.500\n") !=
        std::string::npos);
  f.publish(true, true);
  m = request(f.port(), "GET", "/metrics");
  CHECK(m.body.find("\nfodns_database_readable 1\n") != std::string::npos);
  CHECK(request(f.port(), "GET", "/healthz").body == "ok\n");
}

TEST_CASE("oversized headers are refused, the server goes on") {
  Fixture f;
  f.publish(true, true);
  std::string big(64 * 1024, 'a');
  Reply r = request(f.port(), "GET", "/metrics", "X-Big: " + big + "\r\n");
  CHECK(r.code != 200);
  MESSAGE("oversized request answered with ", r.code, " (0: closed)");
  std::string long_url = "/" + std::string(64 * 1024, 'b');
  CHECK(request(f.port(), "GET", long_url).code != 200);
  // Garbage instead of HTTP.
  int fd = connect_to(f.port());
  send_all(fd, std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 15));
  Reply g = parse(read_all(fd));
  ::close(fd);
  CHECK(g.code != 200);
  CHECK(request(f.port(), "GET", "/metrics").code == 200);
}

TEST_CASE("100 connections at once: each answered or closed, none hangs") {
  Fixture f;
  f.publish(true, true);
  std::vector<int> fds;
  for (int i = 0; i < 100; ++i) fds.push_back(connect_to(f.port()));
  for (int fd : fds)
    send_all(fd, "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  auto t0 = Clock::now();
  int ok = 0, closed = 0;
  for (int fd : fds) {
    Reply r = parse(read_all(fd, 5000));
    if (r.code == 200) ++ok;
    else if (r.code == 0) ++closed;
    ::close(fd);
  }
  double s = std::chrono::duration<double>(Clock::now() - t0).count();
  MESSAGE(ok, " answered, ", closed, " closed (over the per-IP limit), in ", s, " s");
  CHECK(ok + closed == 100);
  CHECK(ok >= 1);
  CHECK(s < 5);
  CHECK(request(f.port(), "GET", "/metrics").code == 200);
}

TEST_CASE("a silent client is dropped after the timeout; other scrapes go on") {
  http::MetricsServerOptions opts;
  opts.timeout_seconds = 1;
  opts.per_ip_connection_limit = 8;
  Fixture f(opts);
  f.publish(true, true);
  auto t0 = Clock::now();
  // Silent clients from another loopback address fill their own per-IP quota;
  // the scraper on 127.0.0.1 is not affected.
  std::vector<int> silent;
  for (int i = 0; i < 20; ++i) silent.push_back(connect_to(f.port(), "127.0.0.2"));
  int fd_partial = connect_to(f.port());
  send_all(fd_partial, "GET /metrics HTTP/1.1\r\nHost: x\r\n");  // never finishes its headers
  for (int i = 0; i < 3; ++i) CHECK(request(f.port(), "GET", "/metrics").code == 200);
  for (int fd : silent) {
    std::string rest = read_all(fd, 4000);  // returns at close
    CHECK(rest.find("200 OK") == std::string::npos);
    ::close(fd);
  }
  read_all(fd_partial, 4000);
  ::close(fd_partial);
  double s = std::chrono::duration<double>(Clock::now() - t0).count();
  MESSAGE("silent clients dropped after ", s, " s");
  CHECK(s < 3.5);  // 1 s timeout (+ libmicrohttpd's granularity)
  CHECK(request(f.port(), "GET", "/healthz").code == 200);
}

TEST_CASE("start fails clearly on an address in use; stop is idempotent") {
  Fixture f;
  auto addr = http::parse_http_address(fmt::format("127.0.0.1:{}", f.port()));
  REQUIRE(addr.ok());
  status::StatusBoard board;
  http::MetricsServer second(**addr, board, {}, std::chrono::system_clock::now());
  auto st = second.start();
  REQUIRE_FALSE(st.ok());
  CHECK(st.error().message.find("bind") != std::string::npos);
  f.server->stop();
  f.server->stop();
}

TEST_CASE("the HTTP thread runs at the lowest priority, the caller's thread keeps its own") {
  // Nice values of this process's threads but the calling one, from /proc (field 19 of stat).
  auto other_nices = [] {
    std::vector<int> out;
    for (const auto& e : std::filesystem::directory_iterator("/proc/self/task")) {
      if (e.path().filename() == std::to_string(gettid())) continue;
      std::ifstream f(e.path() / "stat");
      std::string stat((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
      std::istringstream rest(stat.substr(stat.rfind(')') + 2));
      std::string field;
      for (int i = 3; i <= 19 && rest >> field; ++i) {
      }
      out.push_back(std::stoi(field));
    }
    return out;
  };
  int own = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
  REQUIRE_MESSAGE(own < http::kHttpThreadNice, "the test itself runs at the lowest priority: nothing to tell apart");
  Fixture f;
  f.publish(true, true);
  auto before = other_nices();
  CHECK(std::count(before.begin(), before.end(), http::kHttpThreadNice) == 0);  // not until it serves
  CHECK(request(f.port(), "GET", "/healthz").code == 200);
  auto after = other_nices();
  CHECK(after.size() == before.size());  // libmicrohttpd's one thread
  CHECK(std::count(after.begin(), after.end(), http::kHttpThreadNice) == 1);
  CHECK(getpriority(PRIO_PROCESS, static_cast<id_t>(gettid())) == own);
}
