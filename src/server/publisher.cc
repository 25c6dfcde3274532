#include "server/publisher.h"

#include <algorithm>

namespace fodns::server {

void Publisher::publish(zone::SnapshotPtr snap) {
  std::lock_guard lock(mu_);
  latest_ = std::move(snap);
  for (uv_async_t* w : subscribers_) uv_async_send(w);
}

zone::SnapshotPtr Publisher::latest() const {
  std::lock_guard lock(mu_);
  return latest_;
}

void Publisher::subscribe(uv_async_t* wake) {
  std::lock_guard lock(mu_);
  subscribers_.push_back(wake);
}

void Publisher::unsubscribe(uv_async_t* wake) {
  std::lock_guard lock(mu_);
  subscribers_.erase(std::remove(subscribers_.begin(), subscribers_.end(), wake), subscribers_.end());
}

}  // namespace fodns::server
