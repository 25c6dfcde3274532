#include "app/cookie_keeper.h"

#include <sys/random.h>

#include <algorithm>
#include <cstring>

#include "common/log.h"
#include "store/cookie_repo.h"
#include "store/zone_repo.h"

namespace fodns::app {

CookieKeeper::CookieKeeper(std::string db_path, server::CookieBoard& board, uv_loop_t* loop,
                           uint64_t poll_ms)
    : db_path_(std::move(db_path)), board_(board), loop_(loop), poll_ms_(poll_ms) {
  uv_timer_init(loop_, &poll_);
  poll_.data = this;
}

CookieKeeper::~CookieKeeper() {
  uv_close(reinterpret_cast<uv_handle_t*>(&poll_), nullptr);
  uv_run(loop_, UV_RUN_NOWAIT);  // lets the close callback run while `poll_` exists
}

Status CookieKeeper::load() {
  try {
    db_ = std::make_unique<store::Db>(db_path_);
    if (store::list_cookie_secrets(*db_, 1).empty()) {
      // Only if someone emptied the table: the migration stores the first secret.
      std::array<uint8_t, 16> s{};
      if (getrandom(s.data(), s.size(), 0) != static_cast<ssize_t>(s.size()))
        return make_error("getrandom failed for a DNS cookie secret");
      store::Transaction tx(*db_);
      store::add_cookie_secret(*db_, s, store::unix_now());
      tx.commit();
      log::warn("msg=\"no DNS cookie secret stored; made a new one\"");
    }
    refresh();
  } catch (const std::exception& e) {
    return make_error("DNS cookie secrets: {}", e.what());
  }
  return ok_status();
}

void CookieKeeper::start() { uv_timer_start(&poll_, on_poll, poll_ms_, poll_ms_); }

void CookieKeeper::stop() { uv_timer_stop(&poll_); }

void CookieKeeper::on_poll(uv_timer_t* t) {
  auto* self = static_cast<CookieKeeper*>(t->data);
  try {
    if (self->db_->data_version() == self->data_version_) return;
    self->refresh();
    self->last_error_.clear();
  } catch (const std::exception& e) {
    // The secrets in use stay: cookies keep working while the database is unreadable.
    if (self->last_error_ != e.what())
      log::error("msg=\"cannot read DNS cookie secrets; keeping the current ones\" error={}",
                 log::quote(e.what()));
    self->last_error_ = e.what();
  }
}

void CookieKeeper::refresh() {
  data_version_ = db_->data_version();
  auto secrets = store::list_cookie_secrets(*db_, 2);
  if (secrets.empty() || secrets[0].generation == generation_) return;
  dns::CookieSecrets s;
  std::memcpy(s.current, secrets[0].secret.data(), sizeof s.current);
  s.has_previous = secrets.size() > 1;
  if (s.has_previous) std::memcpy(s.previous, secrets[1].secret.data(), sizeof s.previous);
  board_.publish(s);
  if (generation_ >= 0)
    log::info("msg=\"DNS cookie secret rotated; the previous one is still accepted\" generation={}",
              secrets[0].generation);
  generation_ = secrets[0].generation;
}

}  // namespace fodns::app
