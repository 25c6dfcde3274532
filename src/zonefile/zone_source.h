// Where zone text comes from: a regular file or a pipe, read up to a limit, and the files of
// a directory. `zone import /dev/zero` read 2.8 GB in 18 s before it was stopped (issue 14);
// a device, socket or directory given as a zone file is refused, and so is one larger than
// the limit, before it is parsed.
// Threading: pure functions (file system reads only).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/result.h"

namespace fodns::zonefile {

/// Default size limit of one zone file: 1 GiB holds about 20,000,000 records of
/// `make_zone.py`'s form, far past what fodns is measured for (1,000,000).
constexpr uint64_t kDefaultMaxZoneBytes = uint64_t{1} << 30;

/// Reads a zone file (regular file or pipe) whole. Errors read "PATH: reason".
Result<std::string> read_zone_source(const std::string& path, uint64_t max_bytes);

/// Expands import arguments: a directory stands for its regular files (not recursive; names
/// starting with '.' skipped), sorted by name; anything else is kept as given.
Result<std::vector<std::string>> expand_zone_paths(const std::vector<std::string>& args);

}  // namespace fodns::zonefile
