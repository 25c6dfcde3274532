// The /status document: every backend's health and every zone's serial as JSON,
// in the shape `fodns status --json` prints (src/cli/status_cmd.cc), so that a
// script can read either. Pure; called on the HTTP thread.
#pragma once

#include <string>
#include <string_view>

#include "status/status_board.h"

namespace fodns::http {

/// {"backends":[{"name","address","port","probe","transport","state","since_ms",
/// "last_check_ms","last_rtt_ms","last_result","last_error","successes","failures",
/// "drained","drain_reason"}],"zones":[{"name","serial","records"}]} and a newline.
/// state is up | down | unknown | drained (a drain wins); unknown times and
/// empty strings are null, as in the CLI.
std::string render_status_json(const status::StatusData& status);

}  // namespace fodns::http
