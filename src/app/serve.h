// `fodns serve`: wires store -> snapshot builder -> publisher -> DNS workers.
#pragma once

#include <string>

namespace fodns::app {

struct GlobalOptions {
  std::string db_path;  // resolved: --db, else $FODNS_DB, else ./fodns.db
};

/// Runs `fodns serve` with the arguments after "serve" (argv[0] is "serve").
/// @return the process exit code (0 ok, 1 usage, 2 data error, 3 runtime error).
int run_serve(const GlobalOptions& global, int argc, char** argv);

}  // namespace fodns::app
