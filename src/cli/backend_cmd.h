// Pieces shared by the `fodns backend` command files. Internal to src/cli.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cli/cli_common.h"
#include "store/backend_repo.h"

namespace fodns::cli {

/// `backend drain` (drain = true) and `backend resume`.
int backend_drain(const Context& ctx, int argc, char** argv, bool drain);

/// `backend show NAME [--json]` (backend_show_cmd.cc).
int backend_show(const Context& ctx, int argc, char** argv);

/// The backend called `name`, or DataError "CMD: no backend 'NAME'".
store::Backend backend_named(std::string_view command, store::Db& db, std::string_view name);

/// Bumps the serial of each zone in `uses` (their answers change); returns
/// "example.net. serial 7, example.org. serial 3" for messages.
std::string bump_zones(store::Db& db, const std::vector<store::BackendUse>& uses);

}  // namespace fodns::cli
