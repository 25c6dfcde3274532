// `fodns zone import FILE|DIR...`: one or many master files, all parsed and validated before
// anything is written, then stored in one transaction (issue 11: 10,000 zone files took 354 s
// as one process and transaction per file). Dispatched from zone_cmd.cc. Internal to src/cli.
#pragma once

#include "cli/cli_common.h"

namespace fodns::cli {

/// argv[0] is "import".
int zone_import(const Context& ctx, int argc, char** argv);

}  // namespace fodns::cli
