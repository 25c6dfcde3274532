// Status collection: turns what the control loop holds (backend rows, the
// health table, the monitor's counters, NOTIFY counts) into the values of
// status::StatusData that /metrics, /status and /healthz render.
// Threading: control loop only (it reads the monitor and the notifier).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "app/backend_monitor.h"
#include "status/status_board.h"
#include "store/backend_repo.h"
#include "xfr/notifier.h"

namespace fodns::app {

/// Every backend's line: from the monitor when it probes (`monitor` non-null),
/// else from the rows last read from SQLite (probes off: stored health only).
std::vector<status::BackendStatus> backend_statuses(const BackendMonitor* monitor,
                                                    const std::vector<store::Backend>& configs,
                                                    const std::map<int64_t, store::BackendState>& states);

/// One zone's line with its NOTIFY counts (`notifier` may be null).
status::ZoneStatus zone_status(const std::string& name, uint32_t serial, uint64_t records_stored,
                               uint64_t records_served, const xfr::Notifier* notifier);

/// Fills not_ready_reason for /healthz from snapshot_loaded and listeners_up.
void set_readiness(status::StatusData& d);

}  // namespace fodns::app
