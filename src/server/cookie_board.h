// CookieBoard: hands the DNS cookie secrets (RFC 7873/9018) to every worker, as
// Publisher hands them snapshots (a LatestBoard: see latest_board.h for the threading
// rule). CookieKeeper publishes on the control loop; until the first publish, latest()
// is nullopt and workers ignore cookies.
#pragma once

#include <optional>

#include "dns/cookie.h"
#include "server/latest_board.h"

namespace fodns::server {

using CookieBoard = LatestBoard<std::optional<dns::CookieSecrets>>;

}  // namespace fodns::server
