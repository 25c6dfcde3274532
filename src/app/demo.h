// `fodns demo`: a live failover demo on loopback (see demo.cc).
#pragma once

#include "app/serve.h"

namespace fodns::app {

/// Runs `fodns demo` with the arguments after "demo". @return the exit code.
int run_demo(const GlobalOptions& global, int argc, char** argv);

}  // namespace fodns::app
