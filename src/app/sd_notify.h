// Readiness and status for systemd (Type=notify): a thin wrapper over libsystemd's
// sd_notify(3). Without $NOTIFY_SOCKET (not started by systemd) every call is a no-op,
// and so is every call when fodns was built without libsystemd.
// Threading: any thread; used by `fodns serve` on its control thread.
#pragma once

#include <string_view>

namespace fodns::app {

/// Sends `state`, e.g. "READY=1\nSTATUS=serving 2 zones". Failures are ignored: being
/// supervised must never stop the server from serving.
void notify_systemd(std::string_view state);

}  // namespace fodns::app
