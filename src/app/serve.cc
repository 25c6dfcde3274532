#include "app/serve.h"

#include "common/log.h"

namespace fodns::app {

int run_serve(const GlobalOptions&, int, char**) {
  log::error("serve: not built yet");
  return 3;
}

}  // namespace fodns::app
