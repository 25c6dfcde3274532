// ControlLoop's side of the database: reading what the CLI changed (the zones the
// change index lists, in place when none follows health; else every zone), moving serials, and writing behind
// the publications. The rest is in control_loop.cc; the threading rule is in control_loop.h.
#include <malloc.h>

#include <chrono>
#include <unordered_map>

#include "app/control_loop.h"
#include "common/log.h"
#include "dns/rr.h"
#include "dns/serial.h"
#include "dns/wire.h"
#include "store/backend_repo.h"
#include "store/serial_reservation.h"
#include "store/zone_changes.h"
#include "store/zone_repo.h"
#include "zone/health_filter.h"
#include "zone/snapshot_builder.h"

namespace fodns::app {
namespace {
void patch_soa_serial(dns::ZoneContent& z) {
  for (auto& rr : z.rrs)
    if (rr.type == dns::type::kSoa && rr.owner == z.origin) dns::soa_set_serial(rr.rdata, z.serial);
}
}  // namespace

void ControlLoop::adopt_serial(dns::ZoneContent& content, std::optional<uint32_t> served,
                               std::optional<uint32_t> reserved, bool edited) {
  // An edited zone re-read under a serial it already served moves past it (new content
  // never goes out under an old serial). An unedited one, read again only because a
  // full reload was needed, keeps what it serves: no NOTIFY and transfer for every zone.
  uint32_t serial = serials_.on_load(content.zone_id, content.serial, reserved, edited ? served : std::nullopt,
                                     !started_);
  if (!edited && served && dns::serial_lt(serial, *served)) serial = *served;
  // Written (with a reservation ahead) unless the stored serial and reservation cover it,
  // so that the next health change can move the serial without waiting for SQLite.
  if (serial != content.serial || !serials_.advance(content.zone_id, serial))
    writes_.set_serial(content.zone_id, serial);
  if (serial != content.serial) {
    content.serial = serial;
    patch_soa_serial(content);
  }
}

void ControlLoop::on_static_zone(ServedZones::Slot& slot, dns::ZoneContent& content) {
  if (!transfers_.enabled(content.zone_id)) return;
  transfers_.rebase(content.zone_id, nullptr, nullptr);
  // New records under an old serial get a new one, as in republish().
  if (transfers_.served(*db_, content) && bump_serial(slot, content)) (void)transfers_.served(*db_, content);
}

Status ControlLoop::reload_changed() {
  auto t0 = std::chrono::steady_clock::now();
  try {
    // The version first: a commit racing with the reads is seen at the next poll.
    int64_t version = db_->data_version();
    auto changed = store::take_changed_zones(*db_, changes_since_, gone_zones_);
    if (changed.next_since != changes_since_) gone_zones_.clear();  // forgotten in the index
    std::vector<int64_t> ids = std::move(changed.zone_ids);
    ids.insert(ids.end(), reread_.begin(), reread_.end());
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    struct Read {
      int64_t id;
      std::optional<dns::ZoneContent> content;
      std::optional<uint32_t> reserved;
    };
    std::vector<Read> zones;
    std::vector<store::Backend> backends;
    std::map<int64_t, store::BackendState> states;
    store::read_consistently(*db_, [&] {
      for (int64_t id : ids)
        zones.push_back({id, store::load_zone_by_id(*db_, id), store::load_serial_reservation(*db_, id)});
      read_backends(backends, states);
    });
    // A zone added or removed, or one whose answers may follow health, is read
    // again with every other (its dependents may be anywhere); the common edit, one
    // ungoverned zone among many, costs that zone alone.
    bool partial = true;
    std::vector<dns::ZoneContent> contents;
    uint64_t records = 0;
    std::unordered_map<int64_t, uint32_t> serving;
    for (const auto& sl : served_.slots()) serving[sl.zone_id] = sl.serial;
    for (auto& [id, content, res_serial] : zones) {
      auto at = serving.find(id);
      if (!content || at == serving.end()) {
        partial = false;
        if (!content) {
          serials_.forget(id);
          writes_.drop_serial(id);
          serial_starved_.erase(id);
          gone_zones_.push_back(id);
        }
        continue;
      }
      records += content->rrs.size();
      adopt_serial(*content, at->second, res_serial);
      contents.push_back(std::move(*content));
    }
    if (partial) {
      auto replaced = served_.replace_static(
          contents, [this](ServedZones::Slot& slot, dns::ZoneContent& c) { on_static_zone(slot, c); });
      if (!replaced) {
        log_error_once("cannot build snapshot", replaced.error().message);
        return replaced.error();
      }
      partial = *replaced;
    }
    if (!partial) {
      std::set<int64_t> edited(ids.begin(), ids.end());
      auto st = reload(&edited);
      if (st) changes_since_ = changed.next_since;  // else the next poll lists them again
      return st;
    }
    changes_since_ = changed.next_since;
    data_version_ = version;
    reread_.clear();
    zones.clear();
    if (records > 100000) malloc_trim(0);  // as reload(): a big zone's records were many small allocations
    log::info("msg=\"zones reloaded\" changed_zones={} records={} ms={:.1f}", contents.size(), records,
              std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    adopt_backends(std::move(backends), std::move(states));
    db_watch_.read_ok();
    return ok_status();
  } catch (const std::exception& e) {
    db_watch_.read_failed("cannot read database", e.what(), current_ != nullptr);
    return make_error("{}", e.what());
  }
}

void ControlLoop::read_backends(std::vector<store::Backend>& backends,
                                std::map<int64_t, store::BackendState>& states) {
  backends = store::list_backends(*db_);
  states = store::load_backend_states(*db_);
  transfers_.load(*db_);
}

void ControlLoop::adopt_backends(std::vector<store::Backend> backends,
                                 std::map<int64_t, store::BackendState> states) {
  if (monitor_) monitor_->sync(backends, states);
  backends_config_ = std::move(backends);
  backend_states_ = std::move(states);
}

bool ControlLoop::bump_serial(ServedZones::Slot& slot, dns::ZoneContent& served) {
  if (auto next = serials_.advance(slot.zone_id, slot.serial)) {
    slot.serial = *next;
    writes_.set_serial(slot.zone_id, *next);
  } else {
    // Nothing reserved: the serial must be written before it is served.
    auto queued = writes_.queued_serial(slot.zone_id);
    uint32_t next_serial = dns::serial_next(queued.value_or(slot.serial));
    writes_.set_serial(slot.zone_id, next_serial);
    if (!flush_writes()) {
      if (queued) writes_.set_serial(slot.zone_id, *queued);
      else writes_.drop_serial(slot.zone_id);
      if (serial_starved_.insert(slot.zone_id).second)
        log::warn("msg=\"serial cannot move until the database is writable; answers follow "
                  "health, transfers keep the last serial\" zone={}", slot.name);
      return false;
    }
    slot.serial = next_serial;
  }
  served_.set_serial(slot, served, slot.serial);
  return true;
}

bool ControlLoop::flush_writes() {
  std::vector<int64_t> saved;
  auto save_states = [&](store::Db& db) -> size_t {
    if (!monitor_) return 0;
    saved = monitor_->save_dirty(db);
    return saved.size();
  };
  if (!writes_.flush(*db_, save_states, monitor_ ? monitor_->dirty_count() : 0, store::unix_now_ms()))
    return false;
  if (monitor_) monitor_->mark_saved(saved);
  if (!serial_starved_.empty()) {
    // Writable again: the zones that could not move their serial get one now.
    // The next poll reads them again (a governed one with every zone) and moves their serials.
    reread_.insert(reread_.end(), serial_starved_.begin(), serial_starved_.end());
    serial_starved_.clear();
  }
  return true;
}

}  // namespace fodns::app

namespace fodns::app {

size_t ControlLoop::record_changes(std::vector<ServedZones::Change>& changes,
                                   const std::vector<Transition>& transitions) {
  size_t changed = 0;
  for (auto& c : changes) {
    changed += c.answers_changed;
    // A health change (not a first compile: start, reload) moves the zone's serial on,
    // whichever event republishes it (a flip between two polls is planned by the
    // "database changed" republish).
    if (!c.first) (void)bump_serial(served_.slot(c.slot), c.served);
  }
  for (const auto& t : transitions) writes_.add_event(t);
  return changed;
}

}  // namespace fodns::app
