// LatestBoard<T>: hands the newest value of something the control loop owns (a zone
// snapshot, the cookie secrets) to every DNS worker. Threading: publish() runs on the
// control loop; it stores the value under a mutex and wakes each subscribed worker with
// uv_async_send. Each worker copies the value into its own member in its async callback,
// so the query path reads it without a lock (Envoy's thread-local slots, dnsdist's
// per-thread runtime configuration). libuv merges several wake-ups into one callback;
// only the newest value matters.
#pragma once

#include <uv.h>

#include <algorithm>
#include <mutex>
#include <vector>

namespace fodns::server {

template <typename T>
class LatestBoard {
 public:
  void publish(T value) {
    std::lock_guard lock(mu_);
    latest_ = std::move(value);
    for (uv_async_t* w : subscribers_) uv_async_send(w);
  }
  T latest() const {
    std::lock_guard lock(mu_);
    return latest_;
  }
  /// Registers a worker's async handle; call before the worker's loop runs.
  void subscribe(uv_async_t* wake) {
    std::lock_guard lock(mu_);
    subscribers_.push_back(wake);
  }
  void unsubscribe(uv_async_t* wake) {
    std::lock_guard lock(mu_);
    subscribers_.erase(std::remove(subscribers_.begin(), subscribers_.end(), wake),
                       subscribers_.end());
  }

 private:
  mutable std::mutex mu_;
  T latest_{};
  std::vector<uv_async_t*> subscribers_;
};

}  // namespace fodns::server
