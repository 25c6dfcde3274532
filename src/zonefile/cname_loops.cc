#include "zonefile/cname_loops.h"

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <ldns/ldns.h>

namespace fodns::zonefile {

namespace {

dns::Bytes lower(dns::Bytes name) {
  dns::name_lower(name.data(), name.size());
  return name;
}

std::string_view key(const dns::Bytes& b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

std::string describe(const std::vector<dns::Bytes>& path) {
  std::string out = "CNAME loop: ";
  for (const auto& n : path) out += dns::name_to_text(n) + " -> ";
  return out + dns::name_to_text(path.front());
}

}  // namespace

std::optional<CnameLoop> find_cname_loop(const dns::ZoneContent& zone) {
  struct Link {
    dns::Bytes target;
    size_t index;
    int state = 0;  // 0 not seen, 1 on the current walk, 2 leads to no loop
  };
  std::unordered_map<std::string_view, Link> links;
  std::vector<dns::Bytes> targets;  // owns the lowercase targets the map's walks look up
  for (size_t i = 0; i < zone.rrs.size(); ++i) {
    const auto& rr = zone.rrs[i];
    if (rr.type != LDNS_RR_TYPE_CNAME) continue;
    links.emplace(key(rr.owner), Link{lower(rr.rdata), i});
  }
  // Each name is walked once: a walk stops at a name already settled (state 2) or at a
  // name on the walk itself (state 1), which is a loop.
  for (size_t i = 0; i < zone.rrs.size(); ++i) {
    const auto& rr = zone.rrs[i];
    if (rr.type != LDNS_RR_TYPE_CNAME) continue;
    std::vector<Link*> walk;
    auto it = links.find(key(rr.owner));
    while (it != links.end() && it->second.state == 0) {
      it->second.state = 1;
      walk.push_back(&it->second);
      it = links.find(key(it->second.target));
    }
    if (it != links.end() && it->second.state == 1) {
      // The loop is the part of the walk from `it` on.
      size_t from = 0;
      while (walk[from] != &it->second) ++from;
      std::vector<dns::Bytes> path;
      size_t first = SIZE_MAX;
      for (size_t w = from; w < walk.size(); ++w) {
        path.push_back(zone.rrs[walk[w]->index].owner);
        first = std::min(first, walk[w]->index);
      }
      return CnameLoop{first, describe(path)};
    }
    for (Link* l : walk) l->state = 2;
  }
  return std::nullopt;
}

std::optional<std::string> check_cname_loop(
    const dns::Bytes& owner, const dns::Bytes& target,
    const std::function<std::optional<dns::Bytes>(const dns::Bytes&)>& cname_of) {
  std::vector<dns::Bytes> path{owner};
  dns::Bytes cur = lower(target);
  // A stored zone has no loop of its own (it was refused), so the walk ends at `owner` or at
  // a name without CNAME; the bound only guards databases written before this check.
  for (size_t hop = 0; hop < 1000; ++hop) {
    if (cur == owner) return describe(path);
    auto next = cname_of(cur);
    if (!next) return std::nullopt;
    path.push_back(cur);
    cur = lower(*next);
  }
  return std::nullopt;
}

}  // namespace fodns::zonefile
