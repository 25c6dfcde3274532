// Publisher: hands the newest snapshot to every DNS worker.
// Threading: publish() runs on the control loop; it stores the pointer under
// a mutex and wakes each worker with uv_async_send. Each worker copies the
// pointer into its own member in its async callback, so the query path reads
// the snapshot without a lock (Envoy's thread-local slots, dnsdist's
// per-thread runtime configuration). libuv merges several wake-ups into one
// callback; only the newest snapshot matters.
#pragma once

#include <uv.h>

#include <mutex>
#include <vector>

#include "zone/zone_snapshot.h"

namespace fodns::server {

class Publisher {
 public:
  void publish(zone::SnapshotPtr snap);
  zone::SnapshotPtr latest() const;
  /// Registers a worker's async handle; call before the worker's loop runs.
  void subscribe(uv_async_t* wake);
  void unsubscribe(uv_async_t* wake);

 private:
  mutable std::mutex mu_;
  zone::SnapshotPtr latest_;
  std::vector<uv_async_t*> subscribers_;
};

}  // namespace fodns::server
