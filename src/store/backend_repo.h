// Backend repository: backends, their last known health, and the event history
// (schema/002_backends.sql). Primitives: the caller opens the Transaction.
// Threading: as Db. Errors throw StoreError.
#pragma once

#include <cstdint>
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
void insert_event(Db& db, int64_t at_ms, int64_t backend_id, std::string_view backend,
                  std::string_view from, std::string_view to, std::string_view reason);
/// The newest `limit` events, oldest first.
std::vector<Event> recent_events(Db& db, int limit);
/// Moves the zone's served serial one step forward (RFC 1982) and returns it.
uint32_t bump_zone_serial(Db& db, int64_t zone_id, int64_t now_s);

int64_t unix_now_ms();

}  // namespace fodns::store
