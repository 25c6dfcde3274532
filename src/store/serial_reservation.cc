#include "store/serial_reservation.h"

#include "dns/serial.h"

namespace fodns::store {

std::map<int64_t, uint32_t> load_serial_reservations(Db& db) {
  std::map<int64_t, uint32_t> out;
  auto st = db.prepare("SELECT id, serial_reserved FROM zones WHERE serial_reserved IS NOT NULL");
  while (st.step()) out[st.int64(0)] = static_cast<uint32_t>(st.int64(1));
  return out;
}

std::optional<uint32_t> load_serial_reservation(Db& db, int64_t zone_id) {
  auto st = db.prepare("SELECT serial_reserved FROM zones WHERE id = ?1 AND serial_reserved IS NOT NULL");
  st.bind(1, zone_id);
  if (!st.step()) return std::nullopt;
  return static_cast<uint32_t>(st.int64(0));
}

void write_served_serial(Db& db, int64_t zone_id, uint32_t serial, uint32_t reserved, int64_t now_s) {
  auto get = db.prepare("SELECT serial FROM zones WHERE id = ?1");
  get.bind(1, zone_id);
  if (!get.step()) return;  // the zone was deleted meanwhile: nothing to keep
  auto stored = static_cast<uint32_t>(get.int64(0));
  uint32_t keep = dns::serial_lt(stored, serial) ? serial : stored;
  // serial_reserved always changes with a server write (it is serial + ahead), which is
  // how the change-index trigger tells these writes from the CLI's.
  db.prepare("UPDATE zones SET serial = ?1, serial_reserved = ?2, updated_at = ?3 WHERE id = ?4")
      .bind(1, int64_t{keep})
      .bind(2, int64_t{reserved})
      .bind(3, now_s)
      .bind(4, zone_id)
      .run();
}

void release_serial_reservations(Db& db) {
  db.exec("UPDATE zones SET serial_reserved = NULL WHERE serial_reserved IS NOT NULL");
}

}  // namespace fodns::store
