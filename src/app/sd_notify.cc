#include "app/sd_notify.h"

#include <string>

// The header comes with libsystemd-dev, which meson's `libsystemd` dependency links.
#if __has_include(<systemd/sd-daemon.h>)
#define FODNS_HAVE_SYSTEMD 1
#include <systemd/sd-daemon.h>
#endif

namespace fodns::app {

void notify_systemd(std::string_view state) {
#ifdef FODNS_HAVE_SYSTEMD
  // unset_environment = 0: a child (none today) could still notify.
  (void)sd_notify(0, std::string(state).c_str());
#else
  (void)state;
#endif
}

}  // namespace fodns::app
