#include "store/transfer_repo.h"

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace fodns::store {

namespace {

std::optional<int64_t> key_id(Db& db, std::string_view name) {
  auto st = db.prepare("SELECT id FROM tsig_keys WHERE name = ?1");
  st.bind(1, name);
  if (!st.step()) return std::nullopt;
  return st.int64(0);
}

std::vector<NotifyTarget> load_notify(Db& db, int64_t zone_id) {
  // rowid keeps the order the targets were given in, so `zone show` echoes the command line.
  auto st = db.prepare("SELECT address, port FROM zone_notify WHERE zone_id = ?1 ORDER BY rowid");
  st.bind(1, zone_id);
  std::vector<NotifyTarget> out;
  while (st.step()) out.push_back({st.text(0), static_cast<uint16_t>(st.int64(1))});
  return out;
}

std::vector<AclEntry> load_acl(Db& db, int64_t zone_id) {
  auto st = db.prepare(
      "SELECT COALESCE(a.prefix, ''), COALESCE(k.name, '') FROM zone_transfer_acl a "
      "LEFT JOIN tsig_keys k ON k.id = a.key_id WHERE a.zone_id = ?1 ORDER BY a.id");
  st.bind(1, zone_id);
  std::vector<AclEntry> out;
  while (st.step()) out.push_back({st.text(0), st.text(1)});
  return out;
}

TransferConfig config_from_row(Db& db, Statement& st) {
  TransferConfig c;
  c.zone_id = st.int64(0);
  c.zone_name = st.text(1);
  c.journal_max = st.int64(2);
  c.journal_max_age_s = st.int64(3);
  c.notify = load_notify(db, c.zone_id);
  c.acl = load_acl(db, c.zone_id);
  return c;
}

constexpr std::string_view kConfigColumns =
    "SELECT id, name, journal_max, journal_max_age FROM zones";

}  // namespace

// --- TSIG keys --------------------------------------------------------------

std::vector<TsigKey> list_tsig_keys(Db& db) {
  auto st = db.prepare("SELECT id, name, algorithm, secret FROM tsig_keys ORDER BY name");
  std::vector<TsigKey> out;
  while (st.step()) out.push_back({st.int64(0), st.text(1), st.text(2), st.text(3)});
  return out;
}

std::optional<TsigKey> find_tsig_key(Db& db, std::string_view name) {
  auto st = db.prepare("SELECT id, name, algorithm, secret FROM tsig_keys WHERE name = ?1");
  st.bind(1, name);
  if (!st.step()) return std::nullopt;
  return TsigKey{st.int64(0), st.text(1), st.text(2), st.text(3)};
}

void insert_tsig_key(Db& db, const TsigKey& key, int64_t now) {
  auto st = db.prepare(
      "INSERT INTO tsig_keys (name, algorithm, secret, created_at) VALUES (?1, ?2, ?3, ?4)");
  st.bind(1, key.name).bind(2, key.algorithm).bind(3, key.secret).bind(4, now);
  st.run();
}

std::vector<std::string> tsig_key_users(Db& db, std::string_view name) {
  auto st = db.prepare(
      "SELECT DISTINCT z.name FROM zone_transfer_acl a JOIN zones z ON z.id = a.zone_id "
      "JOIN tsig_keys k ON k.id = a.key_id WHERE k.name = ?1 ORDER BY z.name");
  st.bind(1, name);
  std::vector<std::string> out;
  while (st.step()) out.push_back(st.text(0));
  return out;
}

bool delete_tsig_key(Db& db, std::string_view name) {
  auto id = key_id(db, name);
  if (!id) return false;
  // The foreign key would refuse this too, but only as "FOREIGN KEY constraint failed".
  auto users = tsig_key_users(db, name);
  if (!users.empty()) {
    throw StoreError(fmt::format("TSIG key {} is used by the transfer ACL of zone {}", name,
                                 fmt::join(users, ", ")));
  }
  db.prepare("DELETE FROM tsig_keys WHERE id = ?1").bind(1, *id).run();
  return true;
}

// --- Per-zone transfer settings ----------------------------------------------

TransferConfig load_transfer_config(Db& db, int64_t zone_id) {
  auto st = db.prepare(std::string(kConfigColumns) + " WHERE id = ?1");
  st.bind(1, zone_id);
  if (!st.step()) throw StoreError(fmt::format("zone id {} does not exist", zone_id));
  return config_from_row(db, st);
}

std::vector<TransferConfig> load_all_transfer_configs(Db& db) {
  // Few zones and few rows per zone: a query per zone is simpler than merging three scans.
  auto st = db.prepare(std::string(kConfigColumns) + " ORDER BY name");
  std::vector<TransferConfig> out;
  while (st.step()) out.push_back(config_from_row(db, st));
  return out;
}

std::vector<TransferConfig> load_transfer_configs_in_use(Db& db) {
  // A query per zone over 10,000 zones without settings took 100 ms per CLI commit.
  auto st = db.prepare(std::string(kConfigColumns) +
                       " WHERE id IN (SELECT zone_id FROM zone_notify UNION"
                       " SELECT zone_id FROM zone_transfer_acl) ORDER BY name");
  std::vector<TransferConfig> out;
  while (st.step()) out.push_back(config_from_row(db, st));
  return out;
}

void replace_notify(Db& db, int64_t zone_id, const std::vector<NotifyTarget>& targets) {
  db.prepare("DELETE FROM zone_notify WHERE zone_id = ?1").bind(1, zone_id).run();
  auto ins = db.prepare("INSERT INTO zone_notify (zone_id, address, port) VALUES (?1, ?2, ?3)");
  for (const auto& t : targets) {
    ins.bind(1, zone_id).bind(2, t.address).bind(3, int64_t{t.port});
    ins.run();
    ins.reset();
  }
}

void replace_acl(Db& db, int64_t zone_id, const std::vector<AclEntry>& acl) {
  db.prepare("DELETE FROM zone_transfer_acl WHERE zone_id = ?1").bind(1, zone_id).run();
  auto ins = db.prepare("INSERT INTO zone_transfer_acl (zone_id, prefix, key_id) VALUES (?1, ?2, ?3)");
  for (const auto& e : acl) {
    if (e.prefix.empty() && e.key_name.empty()) {
      throw StoreError("transfer ACL entry needs a prefix, a key or both");
    }
    ins.bind(1, zone_id);
    if (e.prefix.empty()) ins.bind_null(2);
    else ins.bind(2, e.prefix);
    if (e.key_name.empty()) {
      ins.bind_null(3);
    } else {
      auto id = key_id(db, e.key_name);
      if (!id) throw StoreError(fmt::format("no TSIG key {}", e.key_name));
      ins.bind(3, *id);
    }
    ins.run();
    ins.reset();
  }
}

void set_journal_bounds(Db& db, int64_t zone_id, int64_t max_entries, int64_t max_age_s) {
  db.prepare("UPDATE zones SET journal_max = ?2, journal_max_age = ?3 WHERE id = ?1")
      .bind(1, zone_id)
      .bind(2, max_entries)
      .bind(3, max_age_s)
      .run();
}

// --- Journal -----------------------------------------------------------------

void append_journal(Db& db, int64_t zone_id, const JournalEntry& entry, int64_t max_entries,
                    int64_t max_age_s, int64_t now) {
  if (entry.serial_from == entry.serial_to) {
    throw StoreError(fmt::format("journal entry for zone id {} does not change serial {}",
                                 zone_id, entry.serial_to));
  }
  auto newest = db.prepare(
      "SELECT serial_to FROM journal WHERE zone_id = ?1 ORDER BY rowid DESC LIMIT 1");
  newest.bind(1, zone_id);
  bool chained = !newest.step() || static_cast<uint32_t>(newest.int64(0)) == entry.serial_from;
  auto dup = db.prepare("SELECT 1 FROM journal WHERE zone_id = ?1 AND serial_to = ?2");
  dup.bind(1, zone_id).bind(2, int64_t{entry.serial_to});
  // A repeated serial_to means a wrap-around loop (RFC 1982) or a gap: either way the old
  // entries no longer lead to the new serial, and the primary key would refuse the row.
  if (!chained || dup.step()) clear_journal(db, zone_id);
  auto ins = db.prepare(
      "INSERT INTO journal (zone_id, serial_from, serial_to, created_at, removed, added) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  ins.bind(1, zone_id).bind(2, int64_t{entry.serial_from}).bind(3, int64_t{entry.serial_to});
  ins.bind(4, entry.created_at ? entry.created_at : now);
  ins.bind(5, std::span<const uint8_t>(entry.removed)).bind(6, std::span<const uint8_t>(entry.added));
  ins.run();
  prune_journal(db, zone_id, max_entries, max_age_s, now);
}

void prune_journal(Db& db, int64_t zone_id, int64_t max_entries, int64_t max_age_s, int64_t now) {
  // By count: everything older than the newest max_entries (at least one is kept).
  db.prepare(
        "DELETE FROM journal WHERE zone_id = ?1 AND rowid NOT IN "
        "(SELECT rowid FROM journal WHERE zone_id = ?1 ORDER BY rowid DESC LIMIT ?2)")
      .bind(1, zone_id)
      .bind(2, std::max<int64_t>(max_entries, 1))
      .run();
  // By age: cut below the newest too-old entry that is not the newest entry. Cutting at a
  // rowid rather than deleting each old row keeps the chain unbroken if the clock stepped
  // back and a younger-looking entry sits between old ones.
  db.prepare(
        "DELETE FROM journal WHERE zone_id = ?1 AND rowid <= "
        "(SELECT MAX(rowid) FROM journal WHERE zone_id = ?1 AND created_at < ?2 "
        " AND rowid < (SELECT MAX(rowid) FROM journal WHERE zone_id = ?1))")
      .bind(1, zone_id)
      .bind(2, now - max_age_s)
      .run();
}

std::vector<JournalEntry> load_journal(Db& db, int64_t zone_id) {
  auto st = db.prepare(
      "SELECT serial_from, serial_to, created_at, removed, added FROM journal "
      "WHERE zone_id = ?1 ORDER BY rowid");
  st.bind(1, zone_id);
  std::vector<JournalEntry> out;
  while (st.step()) {
    JournalEntry e;
    e.serial_from = static_cast<uint32_t>(st.int64(0));
    e.serial_to = static_cast<uint32_t>(st.int64(1));
    e.created_at = st.int64(2);
    e.removed = st.blob(3);
    e.added = st.blob(4);
    out.push_back(std::move(e));
  }
  return out;
}

void clear_journal(Db& db, int64_t zone_id) {
  db.prepare("DELETE FROM journal WHERE zone_id = ?1").bind(1, zone_id).run();
}

JournalSummary journal_summary(Db& db, int64_t zone_id) {
  auto st = db.prepare(
      "SELECT COUNT(*), "
      " (SELECT serial_from FROM journal WHERE zone_id = ?1 ORDER BY rowid LIMIT 1), "
      " (SELECT serial_to FROM journal WHERE zone_id = ?1 ORDER BY rowid DESC LIMIT 1), "
      " (SELECT created_at FROM journal WHERE zone_id = ?1 ORDER BY rowid LIMIT 1) "
      "FROM journal WHERE zone_id = ?1");
  st.bind(1, zone_id);
  JournalSummary s;
  if (st.step() && st.int64(0) > 0) {
    s.entries = st.int64(0);
    s.oldest_serial = static_cast<uint32_t>(st.int64(1));
    s.newest_serial = static_cast<uint32_t>(st.int64(2));
    s.oldest_at = st.int64(3);
  }
  return s;
}

}  // namespace fodns::store
