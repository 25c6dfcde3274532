// Zone change index (schema/005_changes.sql): which zones an edit touched since the
// server last looked, so that it re-reads those zones and no others. Triggers mark
// a zone with the open epoch in the edit's own transaction; the server lists the
// zones marked at or after the epoch it last opened and opens a new one.
// Threading: as Db (control loop only). Errors throw StoreError.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "dns/zone_content.h"
#include "store/db.h"

namespace fodns::store {

struct ChangedZones {
  std::vector<int64_t> zone_ids;  // ascending
  int64_t next_since = 0;         // pass as `since` to the next take_changed_zones
};

/// The open epoch: everything marked from now on carries at least this value.
int64_t open_change_epoch(Db& db);

/// Lists the zones marked at or after `since` and opens a new epoch, in one
/// BEGIN IMMEDIATE transaction (so no edit falls between the list and the new
/// epoch). Also forgets the marks of `gone` (zones an earlier call listed and the
/// caller found deleted), so the index keeps one row per existing zone.
/// If the database cannot be written (locked, full), lists the same zones read-only
/// and leaves `next_since` at `since`: they are listed again next time, never lost.
ChangedZones take_changed_zones(Db& db, int64_t since, const std::vector<int64_t>& gone = {});


}  // namespace fodns::store
