// `fodns zone set` and `fodns zone show`: a zone's transfer settings (NOTIFY targets,
// transfer ACL, journal bounds) and what its journal holds. Dispatched from zone_cmd.cc.
// Internal to src/cli.
#pragma once

#include <string>

#include "cli/cli_common.h"
#include "store/db.h"

namespace fodns::cli {

/// argv[0] is "set" / "show".
int zone_set(const Context& ctx, int argc, char** argv);
int zone_show(const Context& ctx, int argc, char** argv);

/// The transfer fields `zone list --json` adds to a zone's object, starting with a comma:
/// ,"notify":[...],"allow_transfer":[...],"journal":{...}
std::string zone_transfer_json(store::Db& db, int64_t zone_id);

}  // namespace fodns::cli
