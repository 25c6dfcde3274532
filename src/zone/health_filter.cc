#include "zone/health_filter.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "dns/wire.h"
#include "zone/rdata_names.h"

namespace fodns::zone {
namespace {

using Key = std::pair<dns::Bytes, uint16_t>;

}  // namespace

dns::Bytes srv_target(const dns::Rr& rr) { return rdata_name_at(rr.rdata, 6); }

dns::ZoneContent apply_health(const dns::ZoneContent& zone, const BackendServing& serving,
                              const TargetHealth& elsewhere) {
  std::map<Key, const dns::RrsetPolicy*> policy;
  for (const auto& p : zone.policies) policy[{p.owner, p.type}] = &p;

  // Names whose governed addresses are all out: SRV records pointing there are out too.
  std::map<dns::Bytes, std::pair<int, int>> addr_health;  // owner -> (governed, serving)
  for (const auto& rr : zone.rrs) {
    if (rr.backend_id == 0 || (rr.type != dns::type::kA && rr.type != dns::type::kAaaa)) continue;
    auto& [gov, up] = addr_health[rr.owner];
    ++gov;
    if (serving(rr.backend_id)) ++up;
  }
  // (governed, serving) of a target: this zone's records first, else another zone's.
  auto target_health = [&](const dns::Bytes& t) -> std::pair<int, int> {
    auto it = addr_health.find(t);
    if (it != addr_health.end()) return it->second;
    if (!elsewhere || t.empty()) return {0, 0};
    TargetCount c = elsewhere(t);
    return {c.governed, c.serving};
  };

  // Group record indexes by RRset, keeping the stored order.
  std::map<Key, std::vector<size_t>> sets;
  for (size_t i = 0; i < zone.rrs.size(); ++i) sets[{zone.rrs[i].owner, zone.rrs[i].type}].push_back(i);

  dns::ZoneContent out;
  out.origin = zone.origin;
  out.zone_id = zone.zone_id;
  out.serial = zone.serial;
  out.policies = zone.policies;
  out.empty_names = zone.empty_names;  // names that exist without records stay existing
  out.rrs.reserve(zone.rrs.size());
  std::vector<bool> keep(zone.rrs.size(), true);
  std::vector<uint32_t> ttl_cap(zone.rrs.size(), 0);
  std::vector<bool> ttl_exact(zone.rrs.size(), false);

  for (const auto& [key, idx] : sets) {
    bool governed = false;
    std::vector<bool> member(idx.size(), true);
    for (size_t j = 0; j < idx.size(); ++j) {
      const dns::Rr& rr = zone.rrs[idx[j]];
      if (rr.backend_id != 0) {
        governed = true;
        if (!serving(rr.backend_id)) member[j] = false;
      }
      if (rr.type == dns::type::kSrv) {
        auto [gov, up] = target_health(srv_target(rr));
        if (gov > 0) governed = true;
        if (gov > 0 && up == 0) member[j] = false;
      }
    }
    if (!governed) continue;
    auto pit = policy.find(key);
    const dns::RrsetPolicy* pol = pit == policy.end() ? nullptr : pit->second;
    // An explicit policy TTL is the operator's choice; otherwise cap at the default.
    bool exact_ttl = pol && pol->ttl;
    uint32_t cap = exact_ttl ? pol->ttl : kDefaultGovernedTtl;

    int best = 0;
    bool any = false;
    for (size_t j = 0; j < idx.size(); ++j) {
      if (!member[j]) continue;
      int prio = zone.rrs[idx[j]].priority;
      if (!any || prio < best) best = prio;
      any = true;
    }
    for (size_t j = 0; j < idx.size(); ++j) {
      bool served = any ? (member[j] && zone.rrs[idx[j]].priority == best)
                        : !(pol && pol->all_down_closed);  // fail open unless told otherwise
      keep[idx[j]] = served;
      ttl_cap[idx[j]] = cap;
      ttl_exact[idx[j]] = exact_ttl;
    }
  }
  for (size_t i = 0; i < zone.rrs.size(); ++i) {
    if (!keep[i]) {
      // The name still exists (RFC 8020: NXDOMAIN would deny every type below and at it).
      out.empty_names.push_back(zone.rrs[i].owner);
      continue;
    }
    dns::Rr rr = zone.rrs[i];
    if (ttl_cap[i]) rr.ttl = ttl_exact[i] ? ttl_cap[i] : std::min(rr.ttl, ttl_cap[i]);
    out.rrs.push_back(std::move(rr));
  }
  return out;
}

}  // namespace fodns::zone
