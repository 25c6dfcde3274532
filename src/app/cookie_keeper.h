// CookieKeeper: reads the DNS cookie secrets from the database and hands them to
// the workers (server::CookieBoard). It polls PRAGMA data_version on its own
// connection, as the ControlLoop does, so `fodns cookie rotate` or `cookie set` on
// a running server takes effect within a poll interval.
// Threading: runs on the control loop's thread (its timer is on that loop).
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>

#include "common/result.h"
#include "server/cookie_board.h"
#include "store/db.h"

namespace fodns::app {

class CookieKeeper {
 public:
  CookieKeeper(std::string db_path, server::CookieBoard& board, uv_loop_t* loop,
               uint64_t poll_ms = 1000);
  ~CookieKeeper();
  CookieKeeper(const CookieKeeper&) = delete;
  CookieKeeper& operator=(const CookieKeeper&) = delete;

  /// Opens the database and publishes its secrets (making one if none is stored).
  Status load();
  void start();
  void stop();

 private:
  static void on_poll(uv_timer_t* t);
  /// Reads the secrets and publishes them if they changed. Throws StoreError.
  void refresh();

  std::string db_path_;
  server::CookieBoard& board_;
  uv_loop_t* loop_;
  uint64_t poll_ms_;
  uv_timer_t poll_{};
  std::unique_ptr<store::Db> db_;
  int64_t data_version_ = -1;
  int64_t generation_ = -1;  // of the current secret last published
  std::string last_error_;
};

}  // namespace fodns::app
