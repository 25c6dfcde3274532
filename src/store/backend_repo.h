// Backend repository: backends, their last known health, and the event history
// (schema/002_backends.sql). Primitives: the caller opens the Transaction.
// Threading: as Db. Errors throw StoreError.
#pragma once

#include <cstdint>
#include <span>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/db.h"

namespace fodns::store {

struct Backend {
  int64_t id = 0;
  std::string name;
  std::string address;
  int port = 5060;
  std::string probe = "sip-options";  // sip-options | icmp | tcp
  std::string transport = "udp";      // udp | tcp
  int64_t interval_ms = 1000;
  int64_t timeout_ms = 800;
  int rise = 2;
  int fall = 3;
  std::string alive_codes = "200-407,409-499";
  std::string sip_uri;                // empty: sip:ADDRESS:PORT
  bool drained = false;
  std::string drain_reason;
};

struct BackendState {
  int64_t backend_id = 0;
  std::string state = "unknown";      // unknown | up | down
  int64_t since_ms = 0;
  int64_t last_check_ms = 0;          // 0: never
  int64_t last_rtt_us = -1;           // -1: none
  std::string last_result;            // ok, timeout, refused ...
  std::string last_error;
  int successes = 0;
  int failures = 0;
};

struct Event {
  int64_t id = 0;
  int64_t at_ms = 0;
  std::string backend;
  std::string from_state;
  std::string to_state;
  std::string reason;
};

std::vector<Backend> list_backends(Db& db);
std::optional<Backend> find_backend(Db& db, std::string_view name);
std::map<int64_t, BackendState> load_backend_states(Db& db);
void save_backend_state(Db& db, const BackendState& s);
/// The same for many backends with one prepared statement (10,000 probed every
/// second would otherwise compile the upsert 10,000 times a second).
void save_backend_states(Db& db, std::span<const BackendState* const> states);
void insert_event(Db& db, int64_t at_ms, int64_t backend_id, std::string_view backend,
                  std::string_view from, std::string_view to, std::string_view reason);
/// The newest `limit` events, oldest first.
std::vector<Event> recent_events(Db& db, int limit);
/// Moves the zone's served serial one step forward (RFC 1982) and returns it.
uint32_t bump_zone_serial(Db& db, int64_t zone_id, int64_t now_s);
/// The same for many zones with statements prepared once: a flip that changes
/// 10,000 zones would otherwise spend most of its SQLite time compiling SQL.
class ZoneSerialBumper {
 public:
  explicit ZoneSerialBumper(Db& db);
  uint32_t bump(int64_t zone_id, int64_t now_s);

 private:
  Statement get_;
  Statement set_;
};

// --- Edits made by the CLI (`fodns backend ...`, `record set-backend`, `rrset set`) ---

/// Inserts `b` (b.id is ignored). created_at/updated_at are unix seconds, as for zones.
/// @return the new id. Throws StoreError if the name is taken (UNIQUE).
int64_t insert_backend(Db& db, const Backend& b, int64_t now_s);
/// Rewrites the configuration columns of backend `b.id` (not drained/drain_reason).
void update_backend(Db& db, const Backend& b, int64_t now_s);
void set_backend_drained(Db& db, int64_t backend_id, bool drained, std::string_view reason,
                         int64_t now_s);
/// Deletes a backend; its backend_state row goes with it and its events keep the name
/// (backend_id set NULL). Records it governs must be ungoverned first (foreign key).
void delete_backend(Db& db, int64_t backend_id);

/// The last stored health of one backend, if `fodns serve` ever saved one.
std::optional<BackendState> load_backend_state(Db& db, int64_t backend_id);
/// When the backend was last drained (the newest event to "drained"), unix ms.
std::optional<int64_t> last_drain_ms(Db& db, int64_t backend_id);

/// How many records of each zone a backend governs, by zone name.
struct BackendUse {
  int64_t zone_id = 0;
  std::string zone;
  int64_t records = 0;
};
std::vector<BackendUse> backend_usage(Db& db, int64_t backend_id);
/// Governed record counts of every backend, by backend id (backends with none are absent).
std::map<int64_t, int64_t> governed_counts(Db& db);
/// Makes the records governed by `backend_id` ungoverned (served always). @return how many.
int64_t ungovern_records(Db& db, int64_t backend_id);
/// Governs record `record_id` by `backend_id` (0: ungoverned) at `priority`.
void set_record_backend(Db& db, int64_t record_id, int64_t backend_id, int32_t priority);

/// A governed record of one zone, for listings.
struct GovernedRecord {
  int64_t record_id = 0;
  std::string owner;  // owner column text, "sip.example.net."
  uint16_t type = 0;
  std::vector<uint8_t> rdata;
  int64_t backend_id = 0;
  std::string backend;
  int32_t priority = 0;
};
std::vector<GovernedRecord> governed_records(Db& db, int64_t zone_id);

/// One row of rrset_policy; `owner` is owner column text (store::owner_to_text).
struct RrsetPolicyRow {
  std::string all_down = "open";  // open | closed
  std::optional<uint32_t> ttl;    // nullopt: the default governed TTL
};
std::optional<RrsetPolicyRow> find_rrset_policy(Db& db, int64_t zone_id, std::string_view owner,
                                                uint16_t type);
void upsert_rrset_policy(Db& db, int64_t zone_id, std::string_view owner, uint16_t type,
                         const RrsetPolicyRow& p);

int64_t unix_now_ms();

}  // namespace fodns::store
