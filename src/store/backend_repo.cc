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
  const BackendState* one[] = {&s};
  save_backend_states(db, one);
}

void save_backend_states(Db& db, std::span<const BackendState* const> states) {
  // A backend the CLI removed since the server loaded it has nothing to save:
  // the row is inserted only while the backend exists, so that any error
  // left (a full disk, a locked database) is a real one and propagates.
  auto st = db.prepare(
      "INSERT INTO backend_state (backend_id, state, since, last_check, last_rtt_us, last_result, "
      "last_error, successes, failures) SELECT ?1, ?2, ?3, NULLIF(?4, 0), NULLIF(?5, -1), ?6, ?7, ?8, ?9 "
      "WHERE EXISTS (SELECT 1 FROM backends WHERE id = ?1) "
      "ON CONFLICT(backend_id) DO UPDATE SET state = excluded.state, since = excluded.since, "
      "last_check = excluded.last_check, last_rtt_us = excluded.last_rtt_us, "
      "last_result = excluded.last_result, last_error = excluded.last_error, "
      "successes = excluded.successes, failures = excluded.failures");
  for (const BackendState* p : states) {
    const BackendState& s = *p;
    st.bind(1, s.backend_id).bind(2, s.state).bind(3, s.since_ms).bind(4, s.last_check_ms);
    st.bind(5, s.last_rtt_us).bind(6, s.last_result).bind(7, s.last_error);
    st.bind(8, int64_t{s.successes}).bind(9, int64_t{s.failures});
    st.run();
    st.reset();
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

ZoneSerialBumper::ZoneSerialBumper(Db& db)
    : get_(db.prepare("SELECT serial FROM zones WHERE id = ?1")),
      set_(db.prepare("UPDATE zones SET serial = ?1, updated_at = ?2 WHERE id = ?3")) {}

uint32_t ZoneSerialBumper::bump(int64_t zone_id, int64_t now_s) {
  get_.reset();
  get_.bind(1, zone_id);
  if (!get_.step()) throw StoreError(fmt::format("zone id {} no longer exists", zone_id));
  uint32_t next = dns::serial_next(static_cast<uint32_t>(get_.int64(0)));
  get_.reset();
  set_.reset();
  set_.bind(1, int64_t{next}).bind(2, now_s).bind(3, zone_id);
  set_.run();
  return next;
}

uint32_t bump_zone_serial(Db& db, int64_t zone_id, int64_t now_s) {
  return ZoneSerialBumper(db).bump(zone_id, now_s);
}

}  // namespace fodns::store

namespace fodns::store {

namespace {
// Binds the configuration columns shared by insert_backend and update_backend, ?2..?12.
void bind_config(Statement& st, const Backend& b) {
  st.bind(2, b.name).bind(3, b.address).bind(4, int64_t{b.port}).bind(5, b.probe);
  st.bind(6, b.transport).bind(7, b.interval_ms).bind(8, b.timeout_ms);
  st.bind(9, int64_t{b.rise}).bind(10, int64_t{b.fall}).bind(11, b.alive_codes);
  if (b.sip_uri.empty()) st.bind_null(12);
  else st.bind(12, b.sip_uri);
}
}  // namespace

int64_t insert_backend(Db& db, const Backend& b, int64_t now_s) {
  auto st = db.prepare(
      "INSERT INTO backends (id, name, address, port, probe, transport, interval_ms, timeout_ms, "
      "rise, fall, alive_codes, sip_uri, drained, drain_reason, created_at, updated_at) "
      "VALUES (NULL, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, NULLIF(?14, ''), ?1, ?1)");
  st.bind(1, now_s).bind(13, int64_t{b.drained}).bind(14, b.drain_reason);
  bind_config(st, b);
  st.run();
  return db.last_insert_id();
}

void update_backend(Db& db, const Backend& b, int64_t now_s) {
  auto st = db.prepare(
      "UPDATE backends SET name = ?2, address = ?3, port = ?4, probe = ?5, transport = ?6, "
      "interval_ms = ?7, timeout_ms = ?8, rise = ?9, fall = ?10, alive_codes = ?11, "
      "sip_uri = ?12, updated_at = ?13 WHERE id = ?1");
  st.bind(1, b.id).bind(13, now_s);
  bind_config(st, b);
  st.run();
}

void set_backend_drained(Db& db, int64_t backend_id, bool drained, std::string_view reason,
                         int64_t now_s) {
  auto st = db.prepare(
      "UPDATE backends SET drained = ?2, drain_reason = NULLIF(?3, ''), updated_at = ?4 "
      "WHERE id = ?1");
  st.bind(1, backend_id).bind(2, int64_t{drained}).bind(3, reason).bind(4, now_s);
  st.run();
}

void delete_backend(Db& db, int64_t backend_id) {
  db.prepare("DELETE FROM backends WHERE id = ?1").bind(1, backend_id).run();
}

std::optional<BackendState> load_backend_state(Db& db, int64_t backend_id) {
  // load_backend_states reads few rows (one per backend); reuse its column handling.
  auto all = load_backend_states(db);
  auto it = all.find(backend_id);
  if (it == all.end()) return std::nullopt;
  return it->second;
}

std::optional<int64_t> last_drain_ms(Db& db, int64_t backend_id) {
  auto st = db.prepare(
      "SELECT MAX(at) FROM events WHERE backend_id = ?1 AND to_state = 'drained'");
  st.bind(1, backend_id);
  if (!st.step() || st.is_null(0)) return std::nullopt;
  return st.int64(0);
}

std::vector<BackendUse> backend_usage(Db& db, int64_t backend_id) {
  auto st = db.prepare(
      "SELECT z.id, z.name, COUNT(*) FROM records r JOIN zones z ON z.id = r.zone_id "
      "WHERE r.backend_id = ?1 GROUP BY z.id ORDER BY z.name");
  st.bind(1, backend_id);
  std::vector<BackendUse> out;
  while (st.step()) out.push_back({st.int64(0), st.text(1), st.int64(2)});
  return out;
}

std::map<int64_t, int64_t> governed_counts(Db& db) {
  auto st = db.prepare(
      "SELECT backend_id, COUNT(*) FROM records WHERE backend_id IS NOT NULL GROUP BY backend_id");
  std::map<int64_t, int64_t> out;
  while (st.step()) out[st.int64(0)] = st.int64(1);
  return out;
}

int64_t ungovern_records(Db& db, int64_t backend_id) {
  db.prepare("UPDATE records SET backend_id = NULL WHERE backend_id = ?1").bind(1, backend_id).run();
  return db.changes();
}

void set_record_backend(Db& db, int64_t record_id, int64_t backend_id, int32_t priority) {
  auto st = db.prepare("UPDATE records SET backend_id = ?2, priority = ?3 WHERE id = ?1");
  st.bind(1, record_id).bind(3, int64_t{priority});
  if (backend_id) st.bind(2, backend_id);
  else st.bind_null(2);
  st.run();
}

std::vector<GovernedRecord> governed_records(Db& db, int64_t zone_id) {
  auto st = db.prepare(
      "SELECT r.id, r.owner, r.type, r.rdata, r.backend_id, b.name, r.priority "
      "FROM records r JOIN backends b ON b.id = r.backend_id WHERE r.zone_id = ?1 ORDER BY r.id");
  st.bind(1, zone_id);
  std::vector<GovernedRecord> out;
  while (st.step()) {
    GovernedRecord g;
    g.record_id = st.int64(0);
    g.owner = st.text(1);
    g.type = static_cast<uint16_t>(st.int64(2));
    g.rdata = st.blob(3);
    g.backend_id = st.int64(4);
    g.backend = st.text(5);
    g.priority = static_cast<int32_t>(st.int64(6));
    out.push_back(std::move(g));
  }
  return out;
}

std::optional<RrsetPolicyRow> find_rrset_policy(Db& db, int64_t zone_id, std::string_view owner,
                                                uint16_t type) {
  auto st = db.prepare(
      "SELECT all_down, ttl FROM rrset_policy WHERE zone_id = ?1 AND owner = ?2 AND type = ?3");
  st.bind(1, zone_id).bind(2, owner).bind(3, int64_t{type});
  if (!st.step()) return std::nullopt;
  RrsetPolicyRow p;
  p.all_down = st.text(0);
  if (!st.is_null(1)) p.ttl = static_cast<uint32_t>(st.int64(1));
  return p;
}

void upsert_rrset_policy(Db& db, int64_t zone_id, std::string_view owner, uint16_t type,
                         const RrsetPolicyRow& p) {
  auto st = db.prepare(
      "INSERT INTO rrset_policy (zone_id, owner, type, all_down, ttl) VALUES (?1, ?2, ?3, ?4, ?5) "
      "ON CONFLICT(zone_id, owner, type) DO UPDATE SET all_down = excluded.all_down, "
      "ttl = excluded.ttl");
  st.bind(1, zone_id).bind(2, owner).bind(3, int64_t{type}).bind(4, p.all_down);
  if (p.ttl) st.bind(5, int64_t{*p.ttl});
  else st.bind_null(5);
  st.run();
}

}  // namespace fodns::store
