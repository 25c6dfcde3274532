#include "server/cookie_board.h"

#include <algorithm>

namespace fodns::server {

void CookieBoard::publish(const dns::CookieSecrets& secrets) {
  std::lock_guard lock(mu_);
  latest_ = secrets;
  for (uv_async_t* w : subscribers_) uv_async_send(w);
}

std::optional<dns::CookieSecrets> CookieBoard::latest() const {
  std::lock_guard lock(mu_);
  return latest_;
}

void CookieBoard::subscribe(uv_async_t* wake) {
  std::lock_guard lock(mu_);
  subscribers_.push_back(wake);
}

void CookieBoard::unsubscribe(uv_async_t* wake) {
  std::lock_guard lock(mu_);
  subscribers_.erase(std::remove(subscribers_.begin(), subscribers_.end(), wake), subscribers_.end());
}

}  // namespace fodns::server
