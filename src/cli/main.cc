// The `fodns` binary: everything is in cli::run_cli, so that tests can run commands in-process.
#include <iostream>

#include "cli/cli_common.h"

int main(int argc, char** argv) { return fodns::cli::run_cli(argc, argv, std::cout, std::cerr); }
