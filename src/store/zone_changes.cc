#include "store/zone_changes.h"

#include <fmt/format.h>

#include "dns/name.h"
#include "dns/rr.h"
#include "dns/wire.h"
#include "store/zone_repo.h"

namespace fodns::store {

int64_t open_change_epoch(Db& db) {
  auto st = db.prepare("SELECT epoch FROM change_epoch WHERE id = 1");
  if (!st.step()) throw StoreError("change_epoch has no row");
  return st.int64(0);
}

namespace {
std::vector<int64_t> marked_since(Db& db, int64_t since) {
  auto st = db.prepare("SELECT zone_id FROM zone_changes WHERE epoch >= ?1 ORDER BY zone_id");
  st.bind(1, since);
  std::vector<int64_t> ids;
  while (st.step()) ids.push_back(st.int64(0));
  return ids;
}
}  // namespace

ChangedZones take_changed_zones(Db& db, int64_t since, const std::vector<int64_t>& gone) {
  ChangedZones out;
  try {
    Transaction tx(db);
    out.zone_ids = marked_since(db, since);
    int64_t open = open_change_epoch(db);
    db.prepare("UPDATE change_epoch SET epoch = ?1 WHERE id = 1").bind(1, open + 1).run();
    // The mark of a deleted zone is only needed until the server has seen it go
    // (unless the id came back as a new zone meanwhile).
    auto forget = db.prepare(
        "DELETE FROM zone_changes WHERE zone_id = ?1 AND epoch < ?2 "
        "AND NOT EXISTS (SELECT 1 FROM zones WHERE id = ?1)");
    for (int64_t id : gone) {
      forget.bind(1, id).bind(2, since).run();
      forget.reset();
    }
    tx.commit();
    out.next_since = open + 1;
    return out;
  } catch (const StoreError&) {
    // Not writable: read what changed without opening an epoch.
  }
  db.exec("BEGIN");
  try {
    out.zone_ids = marked_since(db, since);
  } catch (...) {
    db.exec("ROLLBACK");
    throw;
  }
  db.exec("COMMIT");
  out.next_since = since;
  return out;
}

std::optional<dns::ZoneContent> load_zone_by_id(Db& db, int64_t zone_id) {
  auto zst = db.prepare("SELECT name, serial FROM zones WHERE id = ?1");
  zst.bind(1, zone_id);
  if (!zst.step()) return std::nullopt;
  dns::ZoneContent z;
  z.zone_id = zone_id;
  auto owner_wire = [](const std::string& text) {
    dns::Bytes w;
    if (dns::absolute_name_from_text(text, w)) return w;
    auto parsed = dns::name_from_text(text);  // the general reader, for escapes
    if (!parsed) throw StoreError(fmt::format("bad name in database: '{}'", text));
    return std::move(parsed.value());
  };
  z.origin = owner_wire(zst.text(0));
  z.serial = static_cast<uint32_t>(zst.int64(1));
  // Insertion order (rowid), as load_all_zones() reads them: the same input compiles the same.
  auto st = db.prepare(
      "SELECT owner, type, ttl, rdata, COALESCE(backend_id, 0), priority FROM records "
      "WHERE zone_id = ?1 ORDER BY id");
  st.bind(1, zone_id);
  std::string last_text;
  dns::Bytes last_wire;
  while (st.step()) {
    std::string owner = st.text(0);
    if (owner != last_text) {
      last_wire = owner_wire(owner);
      last_text = std::move(owner);
    }
    dns::Rr rr;
    rr.owner = last_wire;
    rr.type = static_cast<uint16_t>(st.int64(1));
    rr.ttl = static_cast<uint32_t>(st.int64(2));
    rr.rdata = st.blob(3);
    rr.backend_id = st.int64(4);
    rr.priority = static_cast<int32_t>(st.int64(5));
    z.rrs.push_back(std::move(rr));
  }
  auto pol = db.prepare(
      "SELECT owner, type, all_down, COALESCE(ttl, 0) FROM rrset_policy WHERE zone_id = ?1");
  pol.bind(1, zone_id);
  while (pol.step()) {
    dns::RrsetPolicy p;
    p.owner = owner_wire(pol.text(0));
    p.type = static_cast<uint16_t>(pol.int64(1));
    p.all_down_closed = pol.text(2) == "closed";
    p.ttl = static_cast<uint32_t>(pol.int64(3));
    z.policies.push_back(std::move(p));
  }
  for (auto& rr : z.rrs)
    if (rr.type == dns::type::kSoa && rr.owner == z.origin) dns::soa_set_serial(rr.rdata, z.serial);
  return z;
}

}  // namespace fodns::store
