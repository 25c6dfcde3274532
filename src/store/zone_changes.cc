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

}  // namespace fodns::store
