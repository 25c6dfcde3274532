#include "store/zone_repo.h"

#include <map>
#include <tuple>

#include <ctime>
#include <unordered_map>

#include <ldns/ldns.h>

#include "common/progress.h"
#include "dns/serial.h"

namespace fodns::store {

namespace {

ZoneInfo zone_from_row(Statement& st) {
  ZoneInfo z;
  z.id = st.int64(0);
  z.name = st.text(1);
  z.serial = static_cast<uint32_t>(st.int64(2));
  z.created_at = st.int64(3);
  z.updated_at = st.int64(4);
  z.record_count = st.int64(5);
  return z;
}

constexpr std::string_view kZoneColumns =
    "SELECT id, name, serial, created_at, updated_at,"
    " (SELECT COUNT(*) FROM records WHERE zone_id = zones.id) FROM zones";

dns::Bytes owner_wire(const std::string& text) {
  dns::Bytes out;
  if (dns::absolute_name_from_text(text, out)) return out;
  auto parsed = dns::name_from_text(text);
  if (!parsed) throw StoreError(fmt::format("bad owner name in database: '{}'", text));
  return std::move(parsed.value());
}

void patch_soa(dns::ZoneContent& z) {
  for (auto& rr : z.rrs) {
    if (rr.type == LDNS_RR_TYPE_SOA && rr.owner == z.origin) dns::soa_set_serial(rr.rdata, z.serial);
  }
}

}  // namespace

int64_t unix_now() { return static_cast<int64_t>(::time(nullptr)); }

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

std::vector<ZoneInfo> list_zones(Db& db) {
  auto st = db.prepare(std::string(kZoneColumns) + " ORDER BY name");
  std::vector<ZoneInfo> out;
  while (st.step()) out.push_back(zone_from_row(st));
  return out;
}

std::optional<ZoneInfo> find_zone(Db& db, std::string_view name) {
  std::string key(name);
  for (auto& c : key) c = static_cast<char>(dns::ascii_lower(static_cast<uint8_t>(c)));
  auto st = db.prepare(std::string(kZoneColumns) + " WHERE name = ?");
  st.bind(1, std::string_view(key));
  if (!st.step()) return std::nullopt;
  return zone_from_row(st);
}

std::optional<ZoneInfo> find_enclosing_zone(Db& db, const dns::Bytes& name) {
  dns::Bytes n = name;
  while (true) {
    if (auto z = find_zone(db, dns::name_to_text(n))) return z;
    if (n.size() <= 1) return std::nullopt;
    n = dns::name_parent(n);
  }
}

std::vector<StoredRr> zone_records(Db& db, int64_t zone_id) {
  auto st = db.prepare("SELECT id, owner, type, ttl, rdata FROM records WHERE zone_id = ? ORDER BY id");
  st.bind(1, zone_id);
  std::vector<StoredRr> out;
  std::string last_text;
  dns::Bytes last_wire;
  while (st.step()) {
    StoredRr r;
    r.id = st.int64(0);
    std::string owner = st.text(1);
    if (owner != last_text) {
      last_wire = owner_wire(owner);
      last_text = std::move(owner);
    }
    r.rr.owner = last_wire;
    r.rr.type = static_cast<uint16_t>(st.int64(2));
    r.rr.ttl = static_cast<uint32_t>(st.int64(3));
    r.rr.rdata = st.blob(4);
    out.push_back(std::move(r));
  }
  return out;
}

dns::ZoneContent load_zone(Db& db, const ZoneInfo& zone) {
  dns::ZoneContent z;
  z.zone_id = zone.id;
  z.origin = owner_wire(zone.name);
  z.serial = zone.serial;
  for (auto& r : zone_records(db, zone.id)) z.rrs.push_back(std::move(r.rr));
  patch_soa(z);
  return z;
}

namespace {
// Every zone, or the one zone `only`; the single-zone reads go by the zone_id index.
std::vector<dns::ZoneContent> load_zones(Db& db, std::optional<int64_t> only) {
  std::string where_zone = only ? fmt::format(" WHERE id = {}", *only) : std::string();
  // Insertion order either way (a full scan reads by rowid): the same input compiles the same.
  std::string where_rows = only ? fmt::format(" WHERE zone_id = {} ORDER BY id", *only) : std::string();
  std::vector<dns::ZoneContent> zones;
  std::unordered_map<int64_t, size_t> by_id;
  uint64_t total = 0;  // for the progress line of a big start-up
  {
    auto st = db.prepare("SELECT id, name, serial, (SELECT COUNT(*) FROM records WHERE zone_id = zones.id) "
                         "FROM zones" + where_zone + " ORDER BY name");
    while (st.step()) {
      dns::ZoneContent z;
      z.zone_id = st.int64(0);
      z.origin = owner_wire(st.text(1));
      z.serial = static_cast<uint32_t>(st.int64(2));
      z.rrs.reserve(static_cast<size_t>(st.int64(3)));
      total += static_cast<uint64_t>(st.int64(3));
      by_id[st.int64(0)] = zones.size();
      zones.push_back(std::move(z));
    }
  }
  // One sequential scan; rows come in insertion order, where records of one owner are
  // adjacent, so caching the last owner saves most conversions.
  progress::phase("loading records", total);
  auto st = db.prepare(
      "SELECT zone_id, owner, type, ttl, rdata, COALESCE(backend_id, 0), priority FROM records" + where_rows);
  std::string last_text;
  dns::Bytes last_wire;
  int64_t last_zone = -1;
  dns::ZoneContent* zone = nullptr;
  while (st.step()) {
    int64_t zid = st.int64(0);
    if (zid != last_zone) {
      auto it = by_id.find(zid);
      if (it == by_id.end()) continue;  // cannot happen with foreign keys on
      zone = &zones[it->second];
      last_zone = zid;
    }
    std::string owner = st.text(1);
    if (owner != last_text) {
      last_wire = owner_wire(owner);
      last_text = std::move(owner);
    }
    dns::Rr rr;
    rr.owner = last_wire;
    rr.type = static_cast<uint16_t>(st.int64(2));
    rr.ttl = static_cast<uint32_t>(st.int64(3));
    rr.rdata = st.blob(4);
    rr.backend_id = st.int64(5);
    rr.priority = static_cast<int32_t>(st.int64(6));
    zone->rrs.push_back(std::move(rr));
    progress::advance();
  }
  std::string where_policies = only ? fmt::format(" WHERE zone_id = {}", *only) : std::string();
  auto pol = db.prepare("SELECT zone_id, owner, type, all_down, COALESCE(ttl, 0) FROM rrset_policy" +
                        where_policies);
  while (pol.step()) {
    auto it = by_id.find(pol.int64(0));
    if (it == by_id.end()) continue;
    dns::RrsetPolicy p;
    p.owner = owner_wire(pol.text(1));
    p.type = static_cast<uint16_t>(pol.int64(2));
    p.all_down_closed = pol.text(3) == "closed";
    p.ttl = static_cast<uint32_t>(pol.int64(4));
    zones[it->second].policies.push_back(std::move(p));
  }
  for (auto& z : zones) patch_soa(z);
  return zones;
}
}  // namespace

std::vector<dns::ZoneContent> load_all_zones(Db& db) { return load_zones(db, std::nullopt); }

std::optional<dns::ZoneContent> load_zone_by_id(Db& db, int64_t zone_id) {
  auto zones = load_zones(db, zone_id);
  if (zones.empty()) return std::nullopt;
  return std::move(zones.front());
}

uint32_t store_zone(Db& db, const dns::ZoneContent& content, int64_t now) {
  std::string name = dns::name_to_text(content.origin);
  uint32_t serial = content.serial;
  int64_t zone_id;
  std::map<std::tuple<std::string, int64_t, std::vector<uint8_t>>, std::pair<int64_t, int64_t>> governed;
  if (auto existing = find_zone(db, name)) {
    zone_id = existing->id;
    serial = dns::serial_forward(existing->serial, content.serial);
    // A re-imported record keeps its governance (backend, priority): replacing a zone
    // from its file must not silently turn failover off.
    auto gov = db.prepare(
        "SELECT owner, type, rdata, backend_id, priority FROM records "
        "WHERE zone_id = ? AND backend_id IS NOT NULL");
    gov.bind(1, zone_id);
    while (gov.step()) {
      governed[{gov.text(0), gov.int64(1), gov.blob(2)}] = {gov.int64(3), gov.int64(4)};
    }
    db.prepare("DELETE FROM records WHERE zone_id = ?").bind(1, zone_id).run();
    set_zone_serial(db, zone_id, serial, now);
  } else {
    auto st = db.prepare(
        "INSERT INTO zones (name, serial, created_at, updated_at) VALUES (?, ?, ?, ?)");
    st.bind(1, std::string_view(name)).bind(2, int64_t{serial}).bind(3, now).bind(4, now).run();
    zone_id = db.last_insert_id();
  }
  if (content.rrs.size() > 100000) {
    // Index inserts land all over records_by_owner; SQLite's default 2 MB page cache would
    // make a 1,000,000-record import mostly cache misses. 256 MB is a ceiling, not an allocation.
    db.exec("PRAGMA cache_size = -262144");
  }
  // One prepared statement for every row; owner text converted once per run of equal owners.
  auto ins = db.prepare(
      "INSERT INTO records (zone_id, owner, type, ttl, rdata, backend_id, priority) "
      "VALUES (?, ?, ?, ?, ?, ?, ?)");
  const dns::Bytes* last_owner = nullptr;
  std::string owner_text;
  progress::phase("storing records", content.rrs.size());
  for (const auto& rr : content.rrs) {
    progress::advance();
    if (!last_owner || *last_owner != rr.owner) {
      owner_text = dns::name_to_text(rr.owner);
      last_owner = &rr.owner;
    }
    dns::Bytes patched;
    std::span<const uint8_t> rdata = rr.rdata;
    if (rr.type == LDNS_RR_TYPE_SOA && rr.owner == content.origin) {
      patched = rr.rdata;
      dns::soa_set_serial(patched, serial);
      rdata = patched;
    }
    ins.bind(1, zone_id)
        .bind(2, std::string_view(owner_text))
        .bind(3, int64_t{rr.type})
        .bind(4, int64_t{rr.ttl})
        .bind(5, rdata);
    int64_t backend = rr.backend_id, priority = rr.priority;
    if (!governed.empty()) {
      auto g = governed.find({owner_text, int64_t{rr.type}, rr.rdata});
      if (g != governed.end()) std::tie(backend, priority) = g->second;
    }
    if (backend) ins.bind(6, backend);
    else ins.bind_null(6);
    ins.bind(7, priority);
    ins.run();
    ins.reset();
  }
  return serial;
}

bool delete_zone(Db& db, std::string_view name) {
  auto z = find_zone(db, name);
  if (!z) return false;
  db.prepare("DELETE FROM zones WHERE id = ?").bind(1, z->id).run();
  return true;
}

std::vector<StoredRr> records_at(Db& db, int64_t zone_id, const dns::Bytes& owner) {
  auto st = db.prepare(
      "SELECT id, type, ttl, rdata FROM records WHERE zone_id = ? AND owner = ? ORDER BY id");
  std::string text = dns::name_to_text(owner);
  st.bind(1, zone_id).bind(2, std::string_view(text));
  std::vector<StoredRr> out;
  while (st.step()) {
    StoredRr r;
    r.id = st.int64(0);
    r.rr.owner = owner;
    r.rr.type = static_cast<uint16_t>(st.int64(1));
    r.rr.ttl = static_cast<uint32_t>(st.int64(2));
    r.rr.rdata = st.blob(3);
    out.push_back(std::move(r));
  }
  return out;
}

void insert_record(Db& db, int64_t zone_id, const dns::Rr& rr) {
  std::string text = dns::name_to_text(rr.owner);
  auto st = db.prepare(
      "INSERT INTO records (zone_id, owner, type, ttl, rdata, backend_id, priority) "
      "VALUES (?, ?, ?, ?, ?, ?, ?)");
  st.bind(1, zone_id)
      .bind(2, std::string_view(text))
      .bind(3, int64_t{rr.type})
      .bind(4, int64_t{rr.ttl})
      .bind(5, std::span<const uint8_t>(rr.rdata))
      .bind(7, int64_t{rr.priority});
  if (rr.backend_id) st.bind(6, rr.backend_id);
  else st.bind_null(6);
  st.run();
}

void delete_record(Db& db, int64_t record_id) {
  db.prepare("DELETE FROM records WHERE id = ?").bind(1, record_id).run();
}

void set_zone_serial(Db& db, int64_t zone_id, uint32_t serial, int64_t now) {
  db.prepare("UPDATE zones SET serial = ?, updated_at = ? WHERE id = ?")
      .bind(1, int64_t{serial})
      .bind(2, now)
      .bind(3, zone_id)
      .run();
}

}  // namespace fodns::store
