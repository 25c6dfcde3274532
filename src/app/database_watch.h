// DatabaseWatch: whether `fodns serve` can still read its database, for the
// log, /healthz, /status and /metrics. A database that breaks while serving
// (overwritten, truncated, unreadable pages) keeps the last good snapshot
// answering, so restarting would not help; but it must not go unseen.
// Threading: control loop only. The HTTP thread sees its values through the
// StatusData the control loop publishes (fill()).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "status/status_board.h"

namespace fodns::app {

class DatabaseWatch {
 public:
  using NowMs = std::function<int64_t()>;  // unix ms; injectable for tests
  explicit DatabaseWatch(std::string path, NowMs now_ms = {});
  ~DatabaseWatch();
  DatabaseWatch(DatabaseWatch&& other) noexcept;
  DatabaseWatch& operator=(DatabaseWatch&& other) noexcept;

  /// Looks at the file itself (one pread of its 100-byte header, no SQLite):
  /// SQLite keeps pages cached, so an overwritten or truncated file could go
  /// unseen until the next commit. A bad file counts as a failed read.
  /// The file is opened once and kept open: closing any descriptor of a file
  /// drops every POSIX lock the process holds on it, SQLite's included. So the
  /// owner must destroy this after closing its SQLite connection.
  /// @return false when the file is not a readable SQLite database.
  bool check_file();
  /// A read through SQLite succeeded. Logs once when this ends an episode.
  /// @return true when it did (the caller should read everything again).
  bool read_ok();
  /// A read failed. Logs once per episode; `serving` false (before the first
  /// snapshot) logs nothing, the caller reports the error as fatal.
  void read_failed(std::string_view what, std::string_view error, bool serving = true);
  /// While unreadable, whether a full read should be tried again now: at most
  /// once a second, so that a broken big database is not re-read every poll.
  bool retry_due();

  bool readable() const { return unreadable_since_ms_ == 0; }
  int64_t unreadable_since_ms() const { return unreadable_since_ms_; }
  int64_t last_good_read_ms() const { return last_good_read_ms_; }
  const std::string& error() const { return error_; }
  /// "database unreadable since 2026-12-05T19:50:01Z: ERROR", or "" when readable.
  std::string degraded_reason() const;
  void fill(status::StatusData& d) const;

 private:
  std::string path_;
  int fd_ = -1;  // see check_file()
  NowMs now_ms_;
  int64_t last_good_read_ms_ = 0;
  int64_t unreadable_since_ms_ = 0;
  int64_t last_retry_ms_ = 0;
  std::string error_;
};

}  // namespace fodns::app
