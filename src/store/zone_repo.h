// Zone repository: zones and their records in SQLite (schema/001_initial.sql).
// Owners are stored as lowercase absolute presentation text ("sip.example.net."), rdata as
// uncompressed wire. These are primitives: the caller opens the Transaction and validates
// (see zonefile/zone_validator.h), so that one CLI command is one transaction.
// Threading: as Db, one connection per thread, control loop or CLI only. Errors throw StoreError.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dns/zone_content.h"
#include "store/db.h"

namespace fodns::store {

struct ZoneInfo {
  int64_t id = 0;
  std::string name;  // "example.net."
  uint32_t serial = 0;
  int64_t record_count = 0;
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

struct StoredRr {
  int64_t id = 0;
  dns::Rr rr;
};

/// Every zone, by name.
std::vector<ZoneInfo> list_zones(Db& db);

/// The zone named `name` (absolute presentation text, any case), if any.
std::optional<ZoneInfo> find_zone(Db& db, std::string_view name);

/// The longest zone at or above `name` (lowercase wire), if any.
std::optional<ZoneInfo> find_enclosing_zone(Db& db, const dns::Bytes& name);

/// One zone's content, its SOA carrying the served serial.
dns::ZoneContent load_zone(Db& db, const ZoneInfo& zone);

/// Every zone, SOA rdata's serial patched to zones.serial, owners lowercase wire.
/// One sequential scan of `records`; owner text is converted without ldns.
std::vector<dns::ZoneContent> load_all_zones(Db& db);
/// One zone as load_all_zones() reads it (records with governance, policies, SOA
/// patched to the served serial); nullopt if the zone no longer exists.
std::optional<dns::ZoneContent> load_zone_by_id(Db& db, int64_t zone_id);

/// Inserts `content` as a new zone, or replaces the records of the existing zone of that
/// name. A replaced zone's serial never moves backward (RFC 1982, dns::serial_forward).
/// The stored SOA rdata carries the resulting serial. @return the served serial.
uint32_t store_zone(Db& db, const dns::ZoneContent& content, int64_t now);

/// Deletes a zone and (ON DELETE CASCADE) its records. @return false if there was none.
bool delete_zone(Db& db, std::string_view name);

/// Every record of zone `zone_id`, in insertion order.
std::vector<StoredRr> zone_records(Db& db, int64_t zone_id);

/// The records of `owner` (lowercase wire) in zone `zone_id`.
std::vector<StoredRr> records_at(Db& db, int64_t zone_id, const dns::Bytes& owner);

void insert_record(Db& db, int64_t zone_id, const dns::Rr& rr);
void delete_record(Db& db, int64_t record_id);

/// Moves the zone's served serial one step forward (RFC 1982) and returns it:
/// the serial policy of dns/serial.h applied to the zones table.
uint32_t bump_zone_serial(Db& db, int64_t zone_id, int64_t now_s);
/// Sets the served serial and updated_at.
void set_zone_serial(Db& db, int64_t zone_id, uint32_t serial, int64_t now);

// The owner column holds dns::name_to_text of the lowercase wire name.

int64_t unix_now();

}  // namespace fodns::store
