#include "http/metrics_server.h"

#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <utility>

#include "common/log.h"
#include "http/status_json.h"

namespace fodns::http {

namespace {

constexpr const char* kMetricsType = "text/plain; version=0.0.4; charset=utf-8";

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// libmicrohttpd reports every refused or timed-out connection; a hostile
// client could turn that into a log flood. At most one line per 10 s, with
// the count of the lines left out.
void mhd_log(void* /*cls*/, const char* fm, va_list ap) {
  static std::atomic<int64_t> next_ms{0};
  static std::atomic<uint64_t> suppressed{0};
  int64_t now = now_ms();
  int64_t next = next_ms.load(std::memory_order_relaxed);
  if (now < next || !next_ms.compare_exchange_strong(next, now + 10000)) {
    suppressed.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  char buf[512];
  std::vsnprintf(buf, sizeof buf, fm, ap);
  size_t n = std::strlen(buf);
  while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) buf[--n] = '\0';
  log::warn("msg=\"http: {}\" suppressed={}", buf, suppressed.exchange(0));
}

// Creates, binds and listens on the socket ourselves, so that a bind error
// comes back as a clear message instead of a NULL daemon.
Result<int> open_listen_socket(const server::ListenAddress& a) {
  int fd = ::socket(a.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return make_error("http {}: socket: {}", a.text, std::strerror(errno));
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (a.family() == AF_INET6) ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&a.addr), a.len) != 0) {
    int e = errno;
    ::close(fd);
    return make_error("http {}: bind: {}", a.text, std::strerror(e));
  }
  if (::listen(fd, 128) != 0) {
    int e = errno;
    ::close(fd);
    return make_error("http {}: listen: {}", a.text, std::strerror(e));
  }
  return fd;
}

// The HTTP thread runs at nice 19, the lowest priority (Linux nice is per
// thread): when the CPU is short, scrapes wait and DNS answers do not. A
// render of 10,000 backends takes ~75 ms of CPU; at equal priority, scrapes
// every 100 ms took 13-19% of the DNS worker's core (tools/bench/scale.sh d at 9741d05).
void yield_to_dns_workers() {
  thread_local bool done = false;
  if (std::exchange(done, true)) return;
  if (::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), kHttpThreadNice) != 0)
    log::warn("msg=\"http: cannot lower the HTTP thread's priority\" error=\"{}\"", std::strerror(errno));
}

// A /healthz body: one line, whatever the reason's text holds.
std::string one_line(std::string text) {
  for (char& ch : text)
    if (ch == '\n' || ch == '\r') ch = ' ';
  return text + "\n";
}

void free_holder(void* cls) {
  delete static_cast<std::shared_ptr<const fmt::memory_buffer>*>(cls);
}

MHD_Result queue_text(MHD_Connection* c, unsigned code, std::string_view body,
                      const char* content_type) {
  MHD_Response* r = MHD_create_response_from_buffer(
      body.size(), const_cast<char*>(body.data()), MHD_RESPMEM_MUST_COPY);
  if (!r) return MHD_NO;
  MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
  MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
  if (code == MHD_HTTP_METHOD_NOT_ALLOWED) MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
  MHD_Result ret = MHD_queue_response(c, code, r);
  MHD_destroy_response(r);
  return ret;
}

}  // namespace

Result<std::optional<server::ListenAddress>> parse_http_address(std::string_view text) {
  if (text == "none") return std::optional<server::ListenAddress>{};
  auto a = server::parse_listen_address(text);
  if (!a) return make_error("--http '{}': {} (or \"none\")", text, a.error().message);
  return std::optional<server::ListenAddress>(std::move(*a));
}

struct MetricsServer::Access {
  static MHD_Result handle(void* cls, MHD_Connection* c, const char* url, const char* method,
                           const char* /*version*/, const char* /*upload_data*/,
                           size_t* upload_data_size, void** con_cls) {
    auto* self = static_cast<MetricsServer*>(cls);
    std::string_view path(url);
    Handler h = path == "/metrics"  ? Handler::Metrics
                : path == "/healthz" ? Handler::Healthz
                : path == "/status"  ? Handler::Status
                                     : Handler::Other;
    bool get = std::strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
               std::strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
    // A request body (not expected here) is dropped chunk by chunk; the answer
    // is queued once it is all read, or at once for the first call.
    if (*con_cls != nullptr && *upload_data_size != 0) {
      *upload_data_size = 0;
      return MHD_YES;
    }
    bool first_call = *con_cls == nullptr;
    *con_cls = self;
    try {
      if (first_call && !self->slots_->begin(connection_slot(c), get && (h == Handler::Metrics ||
                                                                          h == Handler::Status))) {
        // Too many heavy responses in flight: the rest of the connections stay for /healthz.
        self->stats_.count(h, 503);
        return queue_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, "busy, retry later\n", "text/plain");
      }
      if (!get) {
        self->stats_.count(h, 405);
        return queue_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n", "text/plain");
      }
      switch (h) {
        case Handler::Metrics: {
          // The rendered text is shared by reference with libmicrohttpd (no
          // copy of 20 MB for 10,000 backends) and reused by scrapes that
          // come within 5x its render time (at most 0.5 s) while the board and
          // the other routes' counts are unchanged: a scrape storm costs at
          // most ~20% of one core, and slow readers of the same render share
          // one buffer. Small setups render in microseconds and so almost
          // always see fresh counters.
          auto* holder = new std::shared_ptr<const fmt::memory_buffer>(self->cached_render());
          const auto& buf = **holder;
          MHD_Response* r = MHD_create_response_from_buffer_with_free_callback_cls(
              buf.size(), const_cast<char*>(buf.data()), free_holder, holder);
          if (!r) {
            delete holder;
            return MHD_NO;
          }
          MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, kMetricsType);
          MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
          self->stats_.count(h, 200);
          MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
          MHD_destroy_response(r);
          return ret;
        }
        case Handler::Healthz: {
          auto [code, body] = self->health();
          self->stats_.count(h, code);
          return queue_text(c, static_cast<unsigned>(code), body, "text/plain; charset=utf-8");
        }
        case Handler::Status: {
          self->stats_.count(h, 200);
          return queue_text(c, MHD_HTTP_OK, self->status_json(), "application/json");
        }
        default:
          self->stats_.count(h, 404);
          return queue_text(c, MHD_HTTP_NOT_FOUND, "not found\n", "text/plain");
      }
    } catch (const std::exception& e) {
      // bad_alloc on a huge render: answer 500, keep the server (STYLE.md §6).
      self->stats_.count(h, 500);
      log::error("msg=\"http: request failed\" path=\"{}\" error=\"{}\"", path, e.what());
      return queue_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal error\n", "text/plain");
    }
  }

  static HttpSlots::Conn* connection_slot(MHD_Connection* c) {
    const MHD_ConnectionInfo* ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? static_cast<HttpSlots::Conn*>(ci->socket_context) : nullptr;
  }

  static void notify(void* cls, MHD_Connection* c, void** socket_context,
                     MHD_ConnectionNotificationCode toe) {
    auto* self = static_cast<MetricsServer*>(cls);
    yield_to_dns_workers();  // called on libmicrohttpd's thread, before any request is read
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
      self->stats_.connections.fetch_add(1, std::memory_order_relaxed);
      const MHD_ConnectionInfo* ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
      uint64_t before = self->slots_->evicted();
      *socket_context = self->slots_->opened(ci ? ci->connect_fd : -1);
      self->stats_.evicted.fetch_add(self->slots_->evicted() - before, std::memory_order_relaxed);
    } else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
      self->stats_.connections.fetch_sub(1, std::memory_order_relaxed);
      self->slots_->closed(static_cast<HttpSlots::Conn*>(*socket_context));
      *socket_context = nullptr;
    }
  }

  static void completed(void* cls, MHD_Connection* c, void** /*con_cls*/,
                        MHD_RequestTerminationCode /*toe*/) {
    static_cast<MetricsServer*>(cls)->slots_->completed(connection_slot(c));
  }
};

MetricsServer::MetricsServer(server::ListenAddress address, const status::StatusBoard& board,
                             WorkerCountersFn workers,
                             std::chrono::system_clock::time_point start_time,
                             MetricsServerOptions options)
    : address_(std::move(address)),
      board_(board),
      workers_(std::move(workers)),
      start_time_seconds_(
          static_cast<double>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                  start_time.time_since_epoch())
                                  .count()) /
          1000.0),
      options_(options) {}

MetricsServer::~MetricsServer() { stop(); }

Status MetricsServer::start() {
  if (daemon_) return ok_status();
  auto fd = open_listen_socket(address_);
  if (!fd) return fd.error();
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (::getsockname(*fd, reinterpret_cast<sockaddr*>(&ss), &len) == 0) {
    bound_text_ = server::format_address(reinterpret_cast<const sockaddr*>(&ss));
    bound_port_ = ntohs(ss.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                                                  : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  }
  slots_ = std::make_unique<HttpSlots>(options_.connection_limit);
  unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
  if (address_.family() == AF_INET6) flags |= MHD_USE_IPv6;
  daemon_ = MHD_start_daemon(
      flags, 0, nullptr, nullptr, &Access::handle, this,
      MHD_OPTION_EXTERNAL_LOGGER, &mhd_log, nullptr,
      MHD_OPTION_LISTEN_SOCKET, static_cast<MHD_socket>(*fd),
      // Ours is connection_limit (HttpSlots); libmicrohttpd's is higher so that a
      // newcomer is accepted while the oldest idle connection closes for it.
      MHD_OPTION_CONNECTION_LIMIT, options_.connection_limit + HttpSlots::kHeadroom,
      MHD_OPTION_PER_IP_CONNECTION_LIMIT, options_.per_ip_connection_limit,
      MHD_OPTION_CONNECTION_TIMEOUT, options_.timeout_seconds,
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, options_.connection_memory_limit,
      MHD_OPTION_NOTIFY_CONNECTION, &Access::notify, this,
      MHD_OPTION_NOTIFY_COMPLETED, &Access::completed, this,
      MHD_OPTION_END);
  if (!daemon_) {
    ::close(*fd);
    return make_error("http {}: libmicrohttpd could not start", address_.text);
  }
  log::info("msg=\"http listening\" address={}", bound_text_);
  return ok_status();
}

void MetricsServer::stop() {
  if (!daemon_) return;
  MHD_stop_daemon(daemon_);  // joins the thread, closes the listening socket and connections
  daemon_ = nullptr;
  slots_.reset();
  cache_.reset();
}

void MetricsServer::render_into(fmt::memory_buffer& out) const {
  std::shared_ptr<const status::StatusData> st = board_.get();
  std::vector<const server::WorkerCounters*> workers;
  if (workers_) workers = workers_();
  MetricsInput in;
  in.status = st.get();
  in.workers = workers;
  in.process = read_process_info(start_time_seconds_, now_ms());
  in.probes = options_.probe_metrics;
  in.schedule = options_.schedule_stats;
  in.http = &stats_;
  render_metrics(in, out);
}

std::shared_ptr<const fmt::memory_buffer> MetricsServer::cached_render() {
  auto t0 = std::chrono::steady_clock::now();
  int64_t now_us =
      std::chrono::duration_cast<std::chrono::microseconds>(t0.time_since_epoch()).count();
  // A cached render is only reused while nothing it shows from the board or
  // from the other routes has changed, so a scrape never hides a request or a
  // state change that happened before it; only DNS and probe counters (and this
  // route's own count) may be up to the reuse window old, as in a scrape that came earlier.
  std::shared_ptr<const status::StatusData> board = board_.get();
  uint64_t others = requests_besides_scrapes();
  int64_t window = std::max<int64_t>(options_.render_reuse_floor_us,
                                     std::min<int64_t>(5 * cache_render_us_, 500000));
  if (cache_ && now_us - cache_at_us_ < window && board == cache_board_ && others == cache_others_)
    return cache_;
  auto buf = std::make_shared<fmt::memory_buffer>();
  render_into(*buf);
  cache_render_us_ = std::chrono::duration_cast<std::chrono::microseconds>(
                         std::chrono::steady_clock::now() - t0)
                         .count();
  cache_at_us_ = now_us;
  cache_board_ = std::move(board);
  cache_others_ = others;
  cache_ = std::move(buf);
  return cache_;
}

uint64_t MetricsServer::requests_besides_scrapes() const {
  uint64_t n = 0;
  for (size_t h = 0; h < static_cast<size_t>(Handler::kCount); ++h)
    for (size_t c = 0; c < kHttpCodes.size(); ++c)
      if (h != static_cast<size_t>(Handler::Metrics) || kHttpCodes[c] != 200)
        n += stats_.requests[h][c].load(std::memory_order_relaxed);
  return n;
}

std::string MetricsServer::render_metrics_text() const {
  fmt::memory_buffer b;
  render_into(b);
  return fmt::to_string(b);
}

std::pair<int, std::string> MetricsServer::health() const {
  auto st = board_.get();
  if (!st) return {503, "starting: no status published yet\n"};
  if (st->snapshot_loaded && st->listeners_up) {
    // Still answering DNS, so 200 (a restart would not help), but not silently.
    if (!st->degraded_reason.empty()) return {200, one_line("degraded: " + st->degraded_reason)};
    return {200, "ok\n"};
  }
  std::string reason = st->not_ready_reason;
  if (reason.empty()) reason = !st->snapshot_loaded ? "no snapshot loaded" : "DNS listeners not up";
  return {503, one_line(std::move(reason))};
}

std::string MetricsServer::status_json() const {
  auto st = board_.get();
  if (!st) return "{\"backends\":[],\"zones\":[]}\n";
  return render_status_json(*st);
}

}  // namespace fodns::http
