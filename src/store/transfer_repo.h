// Transfer repository: TSIG keys, per-zone NOTIFY targets and transfer ACLs,
// journal bounds, and the journal of served changes (schema/003_transfers.sql).
// Primitives like zone_repo: the caller opens the Transaction. Control loop or
// CLI only. Errors throw StoreError.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/db.h"

namespace fodns::store {

struct TsigKey {
  int64_t id = 0;
  std::string name;       // absolute, lowercase: "xfr-key."
  std::string algorithm;  // "hmac-sha256", ...
  std::string secret;     // base64
};

struct NotifyTarget {
  std::string address;    // IP literal
  uint16_t port = 53;
};

struct AclEntry {
  std::string prefix;     // "192.0.2.0/24"; empty: any address
  std::string key_name;   // "xfr-key."; empty: no key required
};

/// What `zone set` configures and `fodns serve` needs to transfer one zone.
struct TransferConfig {
  int64_t zone_id = 0;
  std::string zone_name;  // "example.net."
  std::vector<NotifyTarget> notify;
  std::vector<AclEntry> acl;
  int64_t journal_max = 100;
  int64_t journal_max_age_s = 604800;
};

struct JournalEntry {
  uint32_t serial_from = 0;
  uint32_t serial_to = 0;
  int64_t created_at = 0;        // unix seconds; 0 in append_journal: `now`
  std::vector<uint8_t> removed;  // uncompressed wire RRs, concatenated, the old SOA first
  std::vector<uint8_t> added;    // likewise, the new SOA first
};

// --- TSIG keys --------------------------------------------------------------
std::vector<TsigKey> list_tsig_keys(Db& db);
std::optional<TsigKey> find_tsig_key(Db& db, std::string_view name);
void insert_tsig_key(Db& db, const TsigKey& key, int64_t now);
/// @return false if there was none. Throws StoreError naming the zones if an ACL still uses it.
bool delete_tsig_key(Db& db, std::string_view name);
/// Names of the zones whose transfer ACL names key `name`, by zone name.
std::vector<std::string> tsig_key_users(Db& db, std::string_view name);

// --- Per-zone transfer settings ----------------------------------------------
TransferConfig load_transfer_config(Db& db, int64_t zone_id);
/// Every zone's config, keyed by zone order of list_zones().
std::vector<TransferConfig> load_all_transfer_configs(Db& db);
/// The same for the zones that have notify targets or ACL entries only (the others
/// have nothing to transfer): the control loop reads this on every CLI commit.
std::vector<TransferConfig> load_transfer_configs_in_use(Db& db);
void replace_notify(Db& db, int64_t zone_id, const std::vector<NotifyTarget>& targets);
/// Key names must exist (throws StoreError naming the key otherwise).
void replace_acl(Db& db, int64_t zone_id, const std::vector<AclEntry>& acl);
void set_journal_bounds(Db& db, int64_t zone_id, int64_t max_entries, int64_t max_age_s);

// --- Journal -----------------------------------------------------------------
// The journal is kept as one unbroken chain: each entry's serial_from is the previous
// entry's serial_to, so IXFR from any serial in it can be answered by the entries after it.
// Entries are ordered by insertion (rowid), never by serial: serials wrap (RFC 1982).

/// Appends one entry and prunes the zone's journal to its bounds (prune_journal).
/// If `entry` does not continue the chain (its serial_from is not the newest serial_to,
/// e.g. changes were served while nothing journaled them) or its serial_to already occurs,
/// the old entries are dropped first: they could no longer lead to the current serial.
/// Throws StoreError if serial_from == serial_to.
void append_journal(Db& db, int64_t zone_id, const JournalEntry& entry, int64_t max_entries,
                    int64_t max_age_s, int64_t now);
/// Drops the oldest entries until at most `max_entries` (at least 1) remain and none is older
/// than `max_age_s` at `now`, except that the newest entry (the one ending at the served
/// serial) is never dropped for age: a secondary one change behind can still IXFR after a
/// quiet week. Only a prefix of the chain is dropped, even if the clock stepped back.
void prune_journal(Db& db, int64_t zone_id, int64_t max_entries, int64_t max_age_s, int64_t now);
/// The zone's journal, oldest first.
std::vector<JournalEntry> load_journal(Db& db, int64_t zone_id);
void clear_journal(Db& db, int64_t zone_id);

/// What `zone show` prints, without reading the RR blobs.
struct JournalSummary {
  int64_t entries = 0;
  uint32_t oldest_serial = 0;  // serial_from of the oldest entry: IXFR reaches back to it
  uint32_t newest_serial = 0;  // serial_to of the newest entry
  int64_t oldest_at = 0;       // created_at of the oldest entry, unix seconds
};
JournalSummary journal_summary(Db& db, int64_t zone_id);

}  // namespace fodns::store
