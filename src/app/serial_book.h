// SerialBook: how far ahead the database has reserved serials for each zone, so that
// a health change moves a zone's serial at once, written or not (a locked or full
// database must not delay what is served), and no serial is served twice with
// different contents, across crashes and restarts too:
//  - every write of a served serial S also reserves S+ahead (store/serial_reservation.h);
//  - while nothing can be written, serials up to the reservation are handed out;
//  - a start finding a reservation above the stored serial (a crash before the queued
//    serial was written) begins above the reservation.
// Pure: no SQLite, no clock. Threading: control loop only.
#pragma once

#include <cstdint>
#include <map>
#include <optional>

namespace fodns::app {

class SerialBook {
 public:
  static constexpr uint32_t kDefaultAhead = 256;
  explicit SerialBook(uint32_t ahead = kDefaultAhead) : ahead_(ahead) {}

  /// The serial to serve for a zone just read from the database (`stored`, its
  /// reservation `reserved`). At start (`served` empty, `starting`), a reservation
  /// ahead of the stored serial means serials up to it may have been served before
  /// a crash: begin above it. While running (`served`: what the zone serves now), a
  /// stored serial not ahead of it (another writer moved on from an older one)
  /// becomes the next serial after it. The caller writes the result if it differs
  /// from `stored`.
  uint32_t on_load(int64_t zone_id, uint32_t stored, std::optional<uint32_t> reserved,
                   std::optional<uint32_t> served, bool starting);

  /// The next serial after `current` if the reservation covers it; nullopt when it
  /// does not (nothing reserved, or all used): the caller must write before moving.
  std::optional<uint32_t> advance(int64_t zone_id, uint32_t current) const;

  /// `serial` was written with its reservation.
  void written(int64_t zone_id, uint32_t serial) { reserved_[zone_id] = reservation_for(serial); }
  void forget(int64_t zone_id) { reserved_.erase(zone_id); }
  uint32_t reservation_for(uint32_t serial) const { return serial + ahead_; }

 private:
  uint32_t ahead_;
  std::map<int64_t, uint32_t> reserved_;
};

}  // namespace fodns::app
