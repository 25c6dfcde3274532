// ServedZones: what every stored zone serves under the current backend health,
// compiled, plus the dependents index that lets a health change cost only the
// zones it can touch. It knows no libuv and no SQLite: the control loop feeds it
// zones (load) and health (plan), writes serials and events itself between
// plan() and commit(), and publishes the snapshot commit() returns.
// Threading: control loop only; the snapshots it returns are immutable and
// shared with the workers.
//
// Dependents index (built by load()): for every backend, the zones whose served
// form can change with its health: the zones holding records it governs, and
// the zones whose SRV records point at a name whose A/AAAA records it governs,
// in any zone this instance serves (a tenant's _sip._udp SRV -> the provider's
// proxies). plan() looks at the backends whose serving bit moved since the last
// plan and re-applies health to their zones only; every other zone keeps its
// compiled form, and the next snapshot shares it by pointer.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/result.h"
#include "dns/zone_content.h"
#include "zone/health_filter.h"
#include "zone/zone_snapshot.h"

namespace fodns::app {

class ServedZones {
 public:
  /// One per stored zone, in load order (the snapshot's zone order).
  struct Slot {
    int64_t zone_id = 0;
    std::string name;
    uint32_t serial = 0;
    bool governed = false;        // its served form depends on some backend's health
    /// Governed zones served as base + overlay: `content` holds only the records the
    /// dependent nodes need (zone/dependents.h), `compiled` is the base compiled once
    /// at load, `overlay` is recompiled on each change (zones that allow transfers
    /// too: the transfer keeper diffs only the overlay's records, see rebase()).
    bool overlay_mode = false;
    dns::ZoneContent content;     // governed zones only: as stored (or the dependents' part)
    uint64_t hash = 0;            // of what it serves now, to see whether a change matters
    uint64_t prior_hash = 0;      // `hash` before the last load(): a CLI edit (a drain) that
                                  // changed the answers is logged as a change, like a flip
    zone::CompiledZonePtr compiled;
    zone::CompiledZonePtr overlay;
    uint64_t records_stored = 0;
    uint64_t records_served = 0;
  };

  /// A zone whose answers change: `served` is what it will serve. The caller may
  /// move its serial on (set_serial) before commit().
  struct Change {
    size_t slot = 0;
    dns::ZoneContent served;
    uint64_t hash = 0;
    bool first = false;           // never compiled before (start, reload): not a health change
    bool answers_changed = false; // a health change, or an edit that changed what it serves
  };

  /// Called by load() for each zone whose served form does not depend on health,
  /// before it is compiled and its records dropped (the transfer keeper's look).
  using StaticHook = std::function<void(Slot&, dns::ZoneContent&)>;
  /// Called by load() for each base + overlay zone with the whole stored zone and
  /// the records kept for the overlay (the transfer keeper's base: the rest).
  using OverlayHook = std::function<void(const dns::ZoneContent& whole, const dns::ZoneContent& kept)>;

  /// Replaces every zone (a reload is a new baseline). On a compile error the
  /// previous state is kept and the error names the zone.
  Status load(std::vector<dns::ZoneContent> zones, const StaticHook& on_static,
              const OverlayHook& on_overlay = {});

  /// Replaces the zones in `changed` (read again after an edit) in place, when none of
  /// them depends on health before or after and no SRV elsewhere can point into them
  /// (their names hold no governed address): the common edit, a record in one of many
  /// tenant zones, then costs that zone alone. @return false (nothing changed) when a
  /// full load() is needed instead; an error when a zone does not compile.
  Result<bool> replace_static(std::vector<dns::ZoneContent>& changed, const StaticHook& on_static);

  /// The governed zones whose served form differs from what they serve now:
  /// after load(), every governed zone is looked at; after that only the zones
  /// of backends whose `serving` answer moved since the previous plan().
  std::vector<Change> plan(const zone::BackendServing& serving);

  /// Moves the serial of a change's zone (its stored content and its served form).
  void set_serial(Change& change, uint32_t serial);
  void set_serial(Slot& slot, dns::ZoneContent& served, uint32_t serial);

  /// Compiles the changes and builds the next snapshot from the previous one,
  /// sharing every other zone. On a compile error nothing changes.
  Result<std::shared_ptr<zone::ZoneSnapshot>> commit(std::vector<Change>& changes,
                                                     uint64_t generation);

  const std::vector<Slot>& slots() const { return slots_; }
  Slot& slot(size_t i) { return slots_[i]; }
  size_t zone_count() const { return slots_.size(); }
  /// Number of zones `backend_id` can change (for logs and tests).
  size_t dependents_of(int64_t backend_id) const;

 private:
  static bool served_yet(const Slot& s) { return s.overlay_mode ? s.overlay != nullptr : s.compiled != nullptr; }
  zone::TargetCount target_count(const dns::Bytes& name, const zone::BackendServing& serving) const;

  std::vector<Slot> slots_;
  /// Lowercase wire owner -> backends of its governed A/AAAA records (one entry per record).
  std::unordered_map<std::string, std::vector<int64_t>> governed_addresses_;
  /// Backend -> slots whose served form depends on it.
  std::unordered_map<int64_t, std::vector<size_t>> dependents_;
  /// Backend -> serving, as of the last plan(); a backend absent here is looked at.
  std::unordered_map<int64_t, bool> last_serving_;
  bool all_dirty_ = true;
  std::shared_ptr<const zone::ZoneSnapshot> current_;
};

}  // namespace fodns::app
