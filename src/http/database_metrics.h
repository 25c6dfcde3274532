// The database's health as Prometheus gauges (fodns_database_*), rendered from
// the StatusData the control loop published (app/database_watch.h).
// Threading: pure; called on the HTTP thread during a /metrics render.
#pragma once

#include <fmt/format.h>

#include "status/status_board.h"

namespace fodns::http {

/// Appends fodns_database_readable and fodns_database_last_read_timestamp_seconds.
/// `st` may be null (nothing published yet): readable 1, no timestamp sample.
void render_database_metrics(const status::StatusData* st, fmt::memory_buffer& out);

}  // namespace fodns::http
