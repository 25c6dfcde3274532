// DatabaseWatch: an overwritten or truncated file is seen without SQLite, one
// log line per episode and one on recovery, retries at most once a second,
// and what /healthz, /status and /metrics are given.
#include "app/database_watch.h"

#include <fcntl.h>
#include <unistd.h>

#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "store/db.h"

using namespace fodns;

namespace {

// Captures what is written to stderr (the log) while it lives.
class StderrCapture {
 public:
  StderrCapture() : path_(std::filesystem::temp_directory_path() / "fodns_dbwatch_log.txt") {
    std::fflush(stderr);
    saved_ = ::dup(2);
    int fd = ::open(path_.c_str(), O_CREAT | O_TRUNC | O_WRONLY | O_CLOEXEC, 0600);
    REQUIRE(fd >= 0);
    ::dup2(fd, 2);
    ::close(fd);
  }
  ~StderrCapture() { restore(); }
  std::string text() {
    restore();
    std::ifstream in(path_);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

 private:
  void restore() {
    if (saved_ < 0) return;
    std::fflush(stderr);
    ::dup2(saved_, 2);
    ::close(saved_);
    saved_ = -1;
  }
  std::filesystem::path path_;
  int saved_ = -1;
};

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

struct TempDb {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("fodns_dbwatch_" + std::to_string(::getpid()) + ".db");
  TempDb() {
    std::filesystem::remove(path);
    store::Db db(path.string());  // a real fodns database
  }
  ~TempDb() {
    for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + s);
  }
};

}  // namespace

TEST_CASE("database watch: a good file, then overwritten, truncated, restored") {
  TempDb db;
  int64_t now = 1'000'000;
  app::DatabaseWatch w(db.path.string(), [&] { return now; });
  CHECK(w.check_file());
  CHECK_FALSE(w.read_ok());  // no episode to end
  CHECK(w.readable());
  CHECK(w.last_good_read_ms() == now);

  std::string good;
  {
    std::ifstream in(db.path, std::ios::binary);
    good.assign(std::istreambuf_iterator<char>(in), {});
  }
  StderrCapture log;
  {
    std::fstream f(db.path, std::ios::in | std::ios::out | std::ios::binary);
    f << std::string(good.size(), '\x5a');  // random-ish bytes over it, same inode
  }
  now += 200;
  CHECK_FALSE(w.check_file());
  CHECK_FALSE(w.readable());
  CHECK(w.unreadable_since_ms() == 1'000'200);
  CHECK(w.last_good_read_ms() == 1'000'000);
  for (int i = 0; i < 36; ++i) {  // polls during the episode: no new line
    now += 200;
    CHECK_FALSE(w.check_file());
    w.read_failed("cannot read database", "file is not a database");
  }
  status::StatusData d;
  w.fill(d);
  CHECK_FALSE(d.database_readable);
  CHECK(d.database_last_good_read_ms == 1'000'000);
  CHECK(d.degraded_reason ==
        "database unreadable since 1970-01-01T00:16:40Z: database file overwritten: not a SQLite "
        "database (bad header)");

  std::filesystem::resize_file(db.path, 0);  // truncated: still the same episode
  CHECK_FALSE(w.check_file());
  {
    std::ofstream f(db.path, std::ios::binary | std::ios::trunc);
    f << good;
  }
  CHECK(w.check_file());
  now += 5000;
  CHECK(w.read_ok());  // ends the episode: the caller reads everything again
  CHECK(w.readable());
  CHECK(w.degraded_reason().empty());
  w.fill(d);
  CHECK(d.database_readable);
  CHECK(d.degraded_reason.empty());

  std::filesystem::resize_file(db.path, 50);  // a second episode gets its own line
  CHECK_FALSE(w.check_file());
  CHECK(w.error() == "database file truncated: 50 bytes, shorter than a SQLite header");
  std::string text = log.text();
  CHECK(count(text, "msg=\"database unreadable; still serving the last snapshot\"") == 2);
  CHECK(count(text, "msg=\"database readable again\"") == 1);
  CHECK(count(text, "unreadable_for_ms=12200") == 1);
}

TEST_CASE("database watch: before the first snapshot nothing is logged; retries once a second") {
  int64_t now = 5000;
  app::DatabaseWatch w("/nonexistent/fodns.db", [&] { return now; });
  {
    StderrCapture log;
    w.read_failed("cannot read database", "disk I/O error", false);
    CHECK(w.readable());  // the caller exits on it: no episode
    CHECK(log.text().empty());
  }
  StderrCapture log;
  CHECK_FALSE(w.check_file());
  CHECK(w.error().rfind("cannot open database file: ", 0) == 0);
  CHECK_FALSE(w.retry_due());
  now += 999;
  CHECK_FALSE(w.retry_due());
  now += 1;
  CHECK(w.retry_due());
  CHECK_FALSE(w.retry_due());
  CHECK(count(log.text(), "database unreadable") == 1);
}
