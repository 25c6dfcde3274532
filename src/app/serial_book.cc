#include "app/serial_book.h"

#include "dns/serial.h"

namespace fodns::app {

uint32_t SerialBook::on_load(int64_t zone_id, uint32_t stored, std::optional<uint32_t> reserved,
                             std::optional<uint32_t> served, bool starting) {
  if (reserved) reserved_[zone_id] = *reserved;
  else reserved_.erase(zone_id);
  uint32_t serial = stored;
  if (starting && reserved && dns::serial_lt(stored, *reserved)) serial = dns::serial_next(*reserved);
  if (served && !dns::serial_lt(*served, serial)) serial = dns::serial_next(*served);
  return serial;
}

std::optional<uint32_t> SerialBook::advance(int64_t zone_id, uint32_t current) const {
  uint32_t next = dns::serial_next(current);
  auto it = reserved_.find(zone_id);
  if (it == reserved_.end() || dns::serial_lt(it->second, next)) return std::nullopt;
  return next;
}

}  // namespace fodns::app
