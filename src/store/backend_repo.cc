#include "store/backend_repo.h"

#include <chrono>

#include <fmt/format.h>

#include "dns/serial.h"

namespace fodns::store {

int64_t unix_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {
constexpr const char* kBackendColumns =
    "id, name, address, port, probe, transport, interval_ms, timeout_ms, rise, fall, "
    "alive_codes, COALESCE(sip_uri, ''), drained, COALESCE(drain_reason, '')";

Backend read_backend(Statement& st) {
  Backend b;
  b.id = st.int64(0);
  b.name = st.text(1);
  b.address = st.text(2);
  b.port = static_cast<int>(st.int64(3));
  b.probe = st.text(4);
  b.transport = st.text(5);
  b.interval_ms = st.int64(6);
  b.timeout_ms = st.int64(7);
  b.rise = static_cast<int>(st.int64(8));
  b.fall = static_cast<int>(st.int64(9));
  b.alive_codes = st.text(10);
  b.sip_uri = st.text(11);
  b.drained = st.int64(12) != 0;
  b.drain_reason = st.text(13);
  return b;
}
}  // namespace

std::vector<Backend> list_backends(Db& db) {
  auto st = db.prepare(fmt::format("SELECT {} FROM backends ORDER BY name", kBackendColumns));
  std::vector<Backend> out;
  while (st.step()) out.push_back(read_backend(st));
  return out;
}

std::optional<Backend> find_backend(Db& db, std::string_view name) {
  auto st = db.prepare(fmt::format("SELECT {} FROM backends WHERE name = ?1", kBackendColumns));
  st.bind(1, name);
  if (!st.step()) return std::nullopt;
  return read_backend(st);
}

std::map<int64_t, BackendState> load_backend_states(Db& db) {
  auto st = db.prepare(
      "SELECT backend_id, state, since, COALESCE(last_check, 0), COALESCE(last_rtt_us, -1), "
      "COALESCE(last_result, ''), COALESCE(last_error, ''), successes, failures FROM backend_state");
  std::map<int64_t, BackendState> out;
  while (st.step()) {
    BackendState s;
    s.backend_id = st.int64(0);
    s.state = st.text(1);
    s.since_ms = st.int64(2);
    s.last_check_ms = st.int64(3);
    s.last_rtt_us = st.int64(4);
    s.last_result = st.text(5);
    s.last_error = st.text(6);
    s.successes = static_cast<int>(st.int64(7));
    s.failures = static_cast<int>(st.int64(8));
    out[s.backend_id] = s;
  }
  return out;
}

void save_backend_state(Db& db, const BackendState& s) {
  auto st = db.prepare(
      "INSERT INTO backend_state (backend_id, state, since, last_check, last_rtt_us, last_result, "
      "last_error, successes, failures) VALUES (?1, ?2, ?3, NULLIF(?4, 0), NULLIF(?5, -1), ?6, ?7, ?8, ?9) "
      "ON CONFLICT(backend_id) DO UPDATE SET state = excluded.state, since = excluded.since, "
      "last_check = excluded.last_check, last_rtt_us = excluded.last_rtt_us, "
      "last_result = excluded.last_result, last_error = excluded.last_error, "
      "successes = excluded.successes, failures = excluded.failures "
      "WHERE EXISTS (SELECT 1 FROM backends WHERE id = ?1)");
  st.bind(1, s.backend_id).bind(2, s.state).bind(3, s.since_ms).bind(4, s.last_check_ms);
  st.bind(5, s.last_rtt_us).bind(6, s.last_result).bind(7, s.last_error);
  st.bind(8, int64_t{s.successes}).bind(9, int64_t{s.failures});
  try {
    st.run();
  } catch (const StoreError&) {
    // The backend was removed by the CLI since we loaded it (foreign key): nothing to save.
  }
}

void insert_event(Db& db, int64_t at_ms, int64_t backend_id, std::string_view backend,
                  std::string_view from, std::string_view to, std::string_view reason) {
  auto st = db.prepare(
      "INSERT INTO events (at, backend_id, backend, from_state, to_state, reason) "
      "VALUES (?1, (SELECT id FROM backends WHERE id = ?2), ?3, ?4, ?5, ?6)");
  st.bind(1, at_ms).bind(2, backend_id).bind(3, backend).bind(4, from).bind(5, to).bind(6, reason);
  st.run();
}

std::vector<Event> recent_events(Db& db, int limit) {
  auto st = db.prepare(
      "SELECT id, at, backend, from_state, to_state, reason FROM "
      "(SELECT * FROM events ORDER BY id DESC LIMIT ?1) ORDER BY id");
  st.bind(1, int64_t{limit});
  std::vector<Event> out;
  while (st.step()) out.push_back({st.int64(0), st.int64(1), st.text(2), st.text(3), st.text(4), st.text(5)});
  return out;
}

uint32_t bump_zone_serial(Db& db, int64_t zone_id, int64_t now_s) {
  auto get = db.prepare("SELECT serial FROM zones WHERE id = ?1");
  get.bind(1, zone_id);
  if (!get.step()) throw StoreError(fmt::format("zone id {} no longer exists", zone_id));
  uint32_t next = dns::serial_next(static_cast<uint32_t>(get.int64(0)));
  auto set = db.prepare("UPDATE zones SET serial = ?1, updated_at = ?2 WHERE id = ?3");
  set.bind(1, int64_t{next}).bind(2, now_s).bind(3, zone_id);
  set.run();
  return next;
}

}  // namespace fodns::store
