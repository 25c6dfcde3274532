// Cookie repository: the DNS cookie secrets (schema/004_cookie_secrets.sql). The
// newest is current, the one before it still verifies. Control loop (CookieKeeper)
// or CLI only; writers open the Transaction. Errors throw StoreError.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "store/db.h"

namespace fodns::store {

struct CookieSecret {
  int64_t generation = 0;
  std::array<uint8_t, 16> secret{};
  int64_t created_at = 0;  // Unix seconds
};

/// Newest first; at most `limit`.
std::vector<CookieSecret> list_cookie_secrets(Db& db, int limit = 2);
/// Adds `secret` as the current one and deletes all but it and its predecessor.
CookieSecret add_cookie_secret(Db& db, const std::array<uint8_t, 16>& secret, int64_t now);

}  // namespace fodns::store
