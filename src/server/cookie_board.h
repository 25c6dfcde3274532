// CookieBoard: hands the DNS cookie secrets (RFC 7873/9018) to every worker, as
// Publisher hands them snapshots. Threading: publish() runs on the control loop
// (CookieKeeper) and stores the secrets under a mutex, then wakes each subscribed
// worker with uv_async_send; the worker copies them into its own member in its
// async callback, so the answer path reads them with no lock.
#pragma once

#include <uv.h>

#include <mutex>
#include <optional>
#include <vector>

#include "dns/cookie.h"

namespace fodns::server {

class CookieBoard {
 public:
  void publish(const dns::CookieSecrets& secrets);
  /// The newest secrets; nullopt until the first publish (cookies are then ignored).
  std::optional<dns::CookieSecrets> latest() const;
  void subscribe(uv_async_t* wake);
  void unsubscribe(uv_async_t* wake);

 private:
  mutable std::mutex mu_;
  std::optional<dns::CookieSecrets> latest_;
  std::vector<uv_async_t*> subscribers_;
};

}  // namespace fodns::server
