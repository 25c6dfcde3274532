#include "app/database_watch.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <utility>

#include "common/log.h"
#include "store/backend_repo.h"

namespace fodns::app {

namespace {
// Every SQLite database starts with these 16 bytes (sqlite.org/fileformat.html §1.3).
constexpr char kSqliteMagic[] = "SQLite format 3";

std::string utc_seconds(int64_t unix_ms) {
  std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}
}  // namespace

DatabaseWatch::DatabaseWatch(std::string path, NowMs now_ms)
    : path_(std::move(path)), now_ms_(now_ms ? std::move(now_ms) : NowMs(store::unix_now_ms)) {}

DatabaseWatch::~DatabaseWatch() {
  if (fd_ >= 0) ::close(fd_);
}

DatabaseWatch::DatabaseWatch(DatabaseWatch&& o) noexcept { *this = std::move(o); }

DatabaseWatch& DatabaseWatch::operator=(DatabaseWatch&& o) noexcept {
  if (this == &o) return *this;
  if (fd_ >= 0) ::close(fd_);
  path_ = std::move(o.path_);
  fd_ = std::exchange(o.fd_, -1);
  now_ms_ = std::move(o.now_ms_);
  last_good_read_ms_ = o.last_good_read_ms_;
  unreadable_since_ms_ = o.unreadable_since_ms_;
  last_retry_ms_ = o.last_retry_ms_;
  error_ = std::move(o.error_);
  return *this;
}

bool DatabaseWatch::check_file() {
  if (path_.empty() || path_ == ":memory:") return true;
  if (fd_ < 0) fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) {
    read_failed("cannot open database file", std::strerror(errno));
    return false;
  }
  char header[100];
  ssize_t n = ::pread(fd_, header, sizeof header, 0);
  int err = errno;
  if (n < 0) {
    read_failed("cannot read database file", std::strerror(err));
    return false;
  }
  if (n < static_cast<ssize_t>(sizeof header)) {
    read_failed("database file truncated", fmt::format("{} bytes, shorter than a SQLite header", n));
    return false;
  }
  if (std::memcmp(header, kSqliteMagic, sizeof kSqliteMagic) != 0) {
    read_failed("database file overwritten", "not a SQLite database (bad header)");
    return false;
  }
  return true;
}

bool DatabaseWatch::read_ok() {
  int64_t now = now_ms_();
  last_good_read_ms_ = now;
  if (readable()) return false;
  log::info("msg=\"database readable again\" db={} unreadable_for_ms={}", log::quote(path_),
            now - unreadable_since_ms_);
  unreadable_since_ms_ = 0;
  error_.clear();
  return true;
}

void DatabaseWatch::read_failed(std::string_view what, std::string_view error, bool serving) {
  if (!serving) return;
  if (!readable()) return;  // one line per episode
  unreadable_since_ms_ = now_ms_();
  last_retry_ms_ = unreadable_since_ms_;
  error_ = fmt::format("{}: {}", what, error);
  log::error("msg=\"database unreadable; still serving the last snapshot\" db={} error={}",
             log::quote(path_), log::quote(error_));
}

bool DatabaseWatch::retry_due() {
  if (readable()) return true;
  int64_t now = now_ms_();
  if (now - last_retry_ms_ < 1000) return false;
  last_retry_ms_ = now;
  return true;
}

std::string DatabaseWatch::degraded_reason() const {
  if (readable()) return {};
  return fmt::format("database unreadable since {}: {}", utc_seconds(unreadable_since_ms_), error_);
}

void DatabaseWatch::fill(status::StatusData& d) const {
  d.database_readable = readable();
  d.database_last_good_read_ms = last_good_read_ms_;
  d.degraded_reason = degraded_reason();
}

}  // namespace fodns::app
