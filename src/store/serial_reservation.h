// Serial reservations (zones.serial_reserved, schema/005_changes.sql): serials that
// `fodns serve` may hand out without writing each one, so that the served serial of
// a zone still moves while the database is locked or full. A restart after a crash
// begins above the reservation, so no serial is ever served with two contents.
// Threading: as Db (control loop only). Errors throw StoreError. The caller opens
// the Transaction.
#pragma once

#include <cstdint>
#include <map>
#include <optional>

#include "store/db.h"

namespace fodns::store {

/// Zones with a reservation: zone id -> the highest serial reserved.
std::map<int64_t, uint32_t> load_serial_reservations(Db& db);

/// One zone's reservation, if it has one.
std::optional<uint32_t> load_serial_reservation(Db& db, int64_t zone_id);

/// Stores the serial a zone serves and its new reservation. A stored serial that is
/// already ahead of `serial` (RFC 1982) is kept: the served serial never goes back.
void write_served_serial(Db& db, int64_t zone_id, uint32_t serial, uint32_t reserved, int64_t now_s);

/// Drops every reservation at a clean stop: every served serial is stored, so the
/// next start need not skip ahead.
void release_serial_reservations(Db& db);

}  // namespace fodns::store
