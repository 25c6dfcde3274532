#include "app/served_zones.h"

#include <algorithm>

#include "dns/wire.h"
#include "zone/dependents.h"
#include "zone/snapshot_builder.h"

namespace fodns::app {
namespace {

std::string key_of(const dns::Bytes& name) { return std::string(name.begin(), name.end()); }

bool is_address(uint16_t type) { return type == dns::type::kA || type == dns::type::kAaaa; }

void patch_soa_serial(dns::ZoneContent& z) {
  for (auto& rr : z.rrs)
    if (rr.type == dns::type::kSoa && rr.owner == z.origin) dns::soa_set_serial(rr.rdata, z.serial);
}

// A hash of what a zone serves, SOA left out (its serial moves when we bump it),
// so that a health change that does not change the answers does not bump the serial.
uint64_t served_hash(const dns::ZoneContent& z) {
  uint64_t h = 0xcbf29ce484222325ull;
  auto mix = [&h](const uint8_t* p, size_t n) {
    for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
  };
  for (const auto& rr : z.rrs) {
    if (rr.type == dns::type::kSoa) continue;
    uint8_t fixed[8];
    dns::put16(fixed, rr.type);
    dns::put32(fixed + 2, rr.ttl);
    dns::put16(fixed + 6, static_cast<uint16_t>(rr.rdata.size()));
    mix(rr.owner.data(), rr.owner.size());
    mix(fixed, sizeof fixed);
    mix(rr.rdata.data(), rr.rdata.size());
  }
  // Names kept as empty (all-down closed) answer NODATA instead of NXDOMAIN: part of what is served.
  for (const auto& n : z.empty_names) mix(n.data(), n.size());
  return h;
}

}  // namespace

Status ServedZones::load(std::vector<dns::ZoneContent> zones, const StaticHook& on_static,
                         const OverlayHook& on_overlay) {
  // Governed addresses of every zone first: an SRV in one zone may point at another's.
  std::unordered_map<std::string, std::vector<int64_t>> addresses;
  for (const auto& z : zones)
    for (const auto& rr : z.rrs)
      if (rr.backend_id != 0 && is_address(rr.type)) addresses[key_of(rr.owner)].push_back(rr.backend_id);

  std::vector<Slot> slots;
  slots.reserve(zones.size());
  std::unordered_map<int64_t, std::vector<size_t>> dependents;
  std::vector<int64_t> deps;
  for (auto& content : zones) {
    Slot slot;
    slot.zone_id = content.zone_id;
    slot.name = dns::name_to_text(content.origin);
    slot.serial = content.serial;
    slot.records_stored = content.rrs.size();
    deps.clear();
    for (const auto& rr : content.rrs) {
      if (rr.backend_id != 0) deps.push_back(rr.backend_id);
      if (rr.type != dns::type::kSrv || addresses.empty()) continue;
      auto it = addresses.find(key_of(zone::srv_target(rr)));
      if (it != addresses.end()) deps.insert(deps.end(), it->second.begin(), it->second.end());
    }
    std::sort(deps.begin(), deps.end());
    deps.erase(std::unique(deps.begin(), deps.end()), deps.end());
    slot.governed = !deps.empty();
    for (int64_t b : deps) dependents[b].push_back(slots.size());
    if (!slot.governed) {
      // Served as stored: compiled once here, its records dropped.
      if (on_static) on_static(slot, content);
      auto compiled = zone::SnapshotBuilder::compile_zone(content, nullptr, slot.name);
      if (!compiled) return compiled.error();
      slot.compiled = *compiled;
      slot.records_served = content.rrs.size();
      content = dns::ZoneContent{};  // give the memory back now, not after the last zone
    } else {
      // Base + overlay: the base answers every node whose answers cannot change
      // with health (compiled from the records as stored: none of those answers
      // carries a governed RRset); only the dependents' records are kept.
      auto deps = zone::find_dependents(content, [&](const dns::Bytes& n) { return addresses.count(key_of(n)) > 0; });
      auto base = zone::SnapshotBuilder::compile_zone(content, &deps.nodes, slot.name);
      if (!base) return base.error();
      if (on_overlay) on_overlay(content, deps.kept);
      slot.overlay_mode = true;
      slot.compiled = *base;
      slot.content = std::move(deps.kept);
      content = dns::ZoneContent{};
    }
    slots.push_back(std::move(slot));
  }
  std::unordered_map<int64_t, uint64_t> hash_before;
  for (const auto& old : slots_) hash_before[old.zone_id] = old.hash;
  for (auto& sl : slots) {
    auto it = hash_before.find(sl.zone_id);
    if (it != hash_before.end() && sl.governed) sl.prior_hash = it->second;
  }
  slots_ = std::move(slots);
  governed_addresses_ = std::move(addresses);
  dependents_ = std::move(dependents);
  last_serving_.clear();
  all_dirty_ = true;
  current_.reset();  // a new zone set: the next snapshot is built whole
  return ok_status();
}

Result<bool> ServedZones::replace_static(std::vector<dns::ZoneContent>& changed,
                                         const StaticHook& on_static) {
  std::unordered_map<int64_t, size_t> index;
  for (size_t i = 0; i < slots_.size(); ++i) index[slots_[i].zone_id] = i;
  auto depends_on_health = [&](const dns::ZoneContent& z) {
    for (const auto& rr : z.rrs) {
      if (rr.backend_id != 0) return true;
      if (rr.type == dns::type::kSrv && governed_addresses_.count(key_of(zone::srv_target(rr)))) return true;
    }
    return false;
  };
  for (const auto& z : changed) {
    auto it = index.find(z.zone_id);
    if (it == index.end() || slots_[it->second].governed || depends_on_health(z)) return false;
  }
  std::vector<std::pair<size_t, Slot>> built;
  for (auto& content : changed) {
    Slot slot;
    slot.zone_id = content.zone_id;
    slot.name = dns::name_to_text(content.origin);
    slot.serial = content.serial;
    slot.records_stored = content.rrs.size();
    if (on_static) on_static(slot, content);
    auto compiled = zone::SnapshotBuilder::compile_zone(content, nullptr, slot.name);
    if (!compiled) return compiled.error();
    slot.compiled = *compiled;
    slot.records_served = content.rrs.size();
    content = dns::ZoneContent{};
    built.emplace_back(index[slot.zone_id], std::move(slot));
  }
  for (auto& [i, slot] : built) slots_[i] = std::move(slot);
  // The next commit() builds the snapshot from every slot's pointer: O(zones) pointer
  // copies, no compile, since the replaced zones have no Change of their own.
  current_.reset();
  return true;
}

zone::TargetCount ServedZones::target_count(const dns::Bytes& name,
                                            const zone::BackendServing& serving) const {
  zone::TargetCount c;
  auto it = governed_addresses_.find(key_of(name));
  if (it == governed_addresses_.end()) return c;
  for (int64_t b : it->second) {
    ++c.governed;
    if (serving(b)) ++c.serving;
  }
  return c;
}

std::vector<ServedZones::Change> ServedZones::plan(const zone::BackendServing& serving) {
  std::vector<size_t> dirty;
  if (all_dirty_) {
    for (size_t i = 0; i < slots_.size(); ++i)
      if (slots_[i].governed) dirty.push_back(i);
  }
  // Backends whose serving bit moved; one lookup per backend, never per zone.
  for (const auto& [backend, zones] : dependents_) {
    bool now = serving(backend);
    auto [it, inserted] = last_serving_.emplace(backend, now);
    if (!inserted && it->second == now) continue;
    it->second = now;
    if (!all_dirty_) dirty.insert(dirty.end(), zones.begin(), zones.end());
  }
  all_dirty_ = false;
  std::sort(dirty.begin(), dirty.end());
  dirty.erase(std::unique(dirty.begin(), dirty.end()), dirty.end());

  zone::TargetHealth elsewhere = [&](const dns::Bytes& name) { return target_count(name, serving); };
  std::vector<Change> changes;
  for (size_t i : dirty) {
    Slot& slot = slots_[i];
    Change c;
    c.slot = i;
    c.served = zone::apply_health(slot.content, serving, elsewhere);
    c.hash = served_hash(c.served);
    if (served_yet(slot) && c.hash == slot.hash) continue;  // same answers: nothing to do
    c.first = !served_yet(slot);
    c.answers_changed = !c.first || (slot.prior_hash != 0 && c.hash != slot.prior_hash);
    changes.push_back(std::move(c));
  }
  return changes;
}

void ServedZones::set_serial(Slot& slot, dns::ZoneContent& served, uint32_t serial) {
  slot.serial = serial;
  if (slot.governed) {
    slot.content.serial = serial;
    patch_soa_serial(slot.content);
  }
  served.serial = serial;
  patch_soa_serial(served);
}

void ServedZones::set_serial(Change& change, uint32_t serial) {
  set_serial(slots_[change.slot], change.served, serial);
}

Result<std::shared_ptr<zone::ZoneSnapshot>> ServedZones::commit(std::vector<Change>& changes,
                                                                uint64_t generation) {
  std::vector<zone::ZoneSnapshot::Replacement> replaced;
  replaced.reserve(changes.size());
  for (auto& c : changes) {
    auto compiled = zone::SnapshotBuilder::compile_zone(c.served, nullptr, slots_[c.slot].name);
    if (!compiled) return compiled.error();
    if (slots_[c.slot].overlay_mode) replaced.push_back({c.slot, slots_[c.slot].compiled, *compiled});
    else replaced.push_back({c.slot, *compiled, nullptr});
  }
  for (size_t k = 0; k < changes.size(); ++k) {
    Slot& slot = slots_[changes[k].slot];
    slot.compiled = replaced[k].zone;
    slot.overlay = replaced[k].overlay;
    slot.hash = changes[k].hash;
    // The overlay serves the dependents' records; the base the rest as stored.
    slot.records_served = slot.overlay_mode
        ? slot.records_stored - slot.content.rrs.size() + changes[k].served.rrs.size()
        : changes[k].served.rrs.size();
  }
  std::shared_ptr<zone::ZoneSnapshot> next;
  if (current_ && current_->zone_count() == slots_.size()) {
    next = std::make_shared<zone::ZoneSnapshot>(*current_, replaced, generation);
  } else {
    std::vector<zone::CompiledZonePtr> all, overlays;
    all.reserve(slots_.size());
    overlays.reserve(slots_.size());
    for (const auto& s : slots_) {
      all.push_back(s.compiled);
      overlays.push_back(s.overlay);
    }
    next = std::make_shared<zone::ZoneSnapshot>(std::move(all), generation, std::move(overlays));
  }
  current_ = next;
  return next;
}

size_t ServedZones::dependents_of(int64_t backend_id) const {
  auto it = dependents_.find(backend_id);
  return it == dependents_.end() ? 0 : it->second.size();
}

}  // namespace fodns::app
