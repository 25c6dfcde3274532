#include "zone/dependents.h"

#include <algorithm>
#include <string>

#include "dns/wire.h"
#include "zone/name_key.h"
#include "zone/rdata_names.h"
#include "zone/snapshot_builder.h"

namespace fodns::zone {
namespace {

using Key = std::string;
Key key_of(const dns::Bytes& n) { return Key(n.begin(), n.end()); }

// Mirrors what ZoneCompiler consults for an answer (node existence, the highest
// cut, the closest encloser and its wildcard, targets' addresses) over the whole
// stored zone, once, to find the nodes whose answers follow health and to keep
// just the records those answers are made of.
class Analysis {
 public:
  Analysis(const dns::ZoneContent& z, const GovernedElsewhere& elsewhere)
      : z_(z), elsewhere_(elsewhere), apex_(z.origin), keep_(z.rrs.size(), false) {
    owners_.reserve(z.rrs.size());
    const dns::Bytes* last = nullptr;  // records come grouped by owner: skip the lookup
    std::vector<uint32_t>* last_idx = nullptr;
    for (uint32_t i = 0; i < z.rrs.size(); ++i) {
      const dns::Bytes& owner = z.rrs[i].owner;
      if (!in_zone(owner)) continue;
      if (!last || *last != owner) {
        auto it = owners_.find(name_key(owner));
        if (it == owners_.end()) it = owners_.emplace(key_of(owner), std::vector<uint32_t>{}).first;
        last = &owner;
        last_idx = &it->second;
      }
      last_idx->push_back(i);
    }
    for (const auto& n : z.empty_names)
      if (in_zone(n) && !owners_.count(name_key(n))) ents_.insert(key_of(n));
    // Empty non-terminals exist (RFC 4592 §2.2.2), as the compiler adds them.
    std::vector<dns::Bytes> names;
    names.reserve(owners_.size());
    for (const auto& [k, idx] : owners_) names.push_back(z.rrs[idx.front()].owner);
    for (dns::Bytes n : names) {
      while (n.size() > apex_.size()) {
        n = dns::name_parent(n);
        if (owners_.count(name_key(n)) || !ents_.insert(key_of(n)).second) break;
      }
    }
  }

  Dependents run() {
    Dependents d;
    auto consider = [&](const dns::Bytes& name) {
      if (!dynamic(name)) return;
      d.nodes.push_back(name);
      include_node(name);
    };
    // The SOA carries the serial: every answer with it comes from the overlay.
    keep_name(apex_);
    keep_type(apex_, dns::type::kSoa);
    for (const auto& [k, idx] : owners_) consider(z_.rrs[idx.front()].owner);
    for (const auto& k : ents_) consider(dns::Bytes(k.begin(), k.end()));
    d.kept.zone_id = z_.zone_id;
    d.kept.origin = z_.origin;
    d.kept.serial = z_.serial;
    d.kept.policies = z_.policies;
    for (size_t i = 0; i < z_.rrs.size(); ++i)
      if (keep_[i]) d.kept.rrs.push_back(z_.rrs[i]);
    for (const auto& k : kept_names_) d.kept.empty_names.emplace_back(k.begin(), k.end());
    return d;
  }

 private:
  bool in_zone(const dns::Bytes& n) const { return !n.empty() && dns::name_is_at_or_below(n, apex_); }
  const std::vector<uint32_t>* records(const dns::Bytes& n) const {
    auto it = owners_.find(name_key(n));
    return it == owners_.end() ? nullptr : &it->second;
  }
  bool exists(const dns::Bytes& n) const {
    return owners_.count(name_key(n)) || ents_.count(name_key(n));
  }
  bool has_type(const dns::Bytes& n, uint16_t type) const {
    if (auto* r = records(n))
      for (uint32_t i : *r)
        if (z_.rrs[i].type == type) return true;
    return false;
  }
  bool governed_address(const dns::Bytes& n) const {
    if (auto* r = records(n))
      for (uint32_t i : *r)
        if (z_.rrs[i].backend_id && (z_.rrs[i].type == dns::type::kA || z_.rrs[i].type == dns::type::kAaaa))
          return true;
    return elsewhere_ && elsewhere_(n);
  }
  bool rrset_governed(const dns::Bytes& n, uint16_t type) const {
    if (auto* r = records(n))
      for (uint32_t i : *r) {
        const dns::Rr& rr = z_.rrs[i];
        if (rr.type != type) continue;
        if (rr.backend_id) return true;
        if (type == dns::type::kSrv && governed_address(rdata_name_at(rr.rdata, 6))) return true;
      }
    return false;
  }
  /// The highest delegation at or above `n` (below the apex), or empty.
  dns::Bytes highest_cut(dns::Bytes n) const {
    dns::Bytes cut;
    while (n.size() > apex_.size()) {
      if (has_type(n, dns::type::kNs)) cut = n;
      n = dns::name_parent(n);
    }
    return cut;
  }
  bool cut_governed(const dns::Bytes& c) const {
    if (rrset_governed(c, dns::type::kNs)) return true;
    for (uint32_t i : *records(c))
      if (z_.rrs[i].type == dns::type::kNs && governed_address(rdata_name_at(z_.rrs[i].rdata, 0))) return true;
    return false;
  }

  bool dynamic(const dns::Bytes& n) const {
    dns::Bytes cut = highest_cut(n);
    if (!cut.empty() && cut_governed(cut)) return true;  // its referral follows health
    const auto* r = records(n);
    if (!r) return false;
    for (uint32_t i : *r) {
      const dns::Rr& rr = z_.rrs[i];
      if (rr.backend_id) return true;
      int off = target_offset(rr.type);
      if (off >= 0) {
        dns::Bytes t = rdata_name_at(rr.rdata, static_cast<size_t>(off));
        // A CNAME chain that stays in the zone may end negative: it carries the SOA.
        if (rr.type == dns::type::kCname && in_zone(t)) return true;
        if (rr.type != dns::type::kCname && in_zone(t) && governed_address(t)) return true;
        if (rr.type == dns::type::kSrv && governed_address(t)) return true;  // out of zone: SRV membership
      } else if (rr.type == dns::type::kNaptr) {
        dns::Bytes repl = naptr_replacement(rr.rdata);
        if (!in_zone(repl)) continue;
        if (governed_address(repl) || rrset_governed(repl, dns::type::kSrv)) return true;
        if (auto* s = records(repl))
          for (uint32_t j : *s)
            if (z_.rrs[j].type == dns::type::kSrv && governed_address(rdata_name_at(z_.rrs[j].rdata, 6)))
              return true;
      }
    }
    return false;
  }

  void keep_name(const dns::Bytes& n) { kept_names_.insert(key_of(n)); }
  void keep_type(const dns::Bytes& n, uint16_t type) {
    if (auto* r = records(n))
      for (uint32_t i : *r)
        if (z_.rrs[i].type == type) keep_[i] = true;
  }
  void keep_cut_of(const dns::Bytes& n) {
    dns::Bytes c = highest_cut(n);
    if (c.empty() || !cuts_done_.insert(key_of(c)).second) return;
    keep_name(c);
    keep_type(c, dns::type::kNs);
    for (uint32_t i : *records(c))
      if (z_.rrs[i].type == dns::type::kNs) include_addresses(rdata_name_at(z_.rrs[i].rdata, 0));
  }
  void include_addresses(const dns::Bytes& t) {
    if (!in_zone(t) || !exists(t)) return;
    keep_name(t);
    keep_type(t, dns::type::kA);
    keep_type(t, dns::type::kAaaa);
    keep_cut_of(t);
  }
  /// Everything the answers of node `n` are made of.
  void include_node(const dns::Bytes& n) {
    if (!nodes_done_.insert(key_of(n)).second) return;
    keep_name(n);
    keep_cut_of(n);
    const auto* r = records(n);
    if (!r) return;
    for (uint32_t i : *r) {
      keep_[i] = true;
      const dns::Rr& rr = z_.rrs[i];
      int off = target_offset(rr.type);
      if (rr.type == dns::type::kCname) {
        follow_cname(rdata_name_at(rr.rdata, 0));
      } else if (off >= 0) {
        include_addresses(rdata_name_at(rr.rdata, static_cast<size_t>(off)));
      } else if (rr.type == dns::type::kNaptr) {
        dns::Bytes repl = naptr_replacement(rr.rdata);
        if (repl.size() <= 1 || !in_zone(repl) || !exists(repl)) continue;
        keep_name(repl);
        keep_cut_of(repl);
        keep_type(repl, dns::type::kSrv);
        if (auto* s = records(repl))
          for (uint32_t j : *s)
            if (z_.rrs[j].type == dns::type::kSrv) include_addresses(rdata_name_at(z_.rrs[j].rdata, 6));
        include_addresses(repl);
      }
    }
  }
  /// The node a CNAME target resolves to, as ZoneCompiler::resolve finds it.
  void follow_cname(const dns::Bytes& target) {
    if (!in_zone(target)) return;
    keep_cut_of(target);
    if (exists(target)) {
      if (highest_cut(target).empty()) include_node(target);
      else keep_name(target);
      return;
    }
    dns::Bytes ce = target;
    while (ce.size() > apex_.size()) {
      ce = dns::name_parent(ce);
      if (exists(ce)) break;
    }
    keep_name(ce);  // the closest encloser: NXDOMAIN or the wildcard below it
    keep_cut_of(ce);
    if (!highest_cut(ce).empty()) return;
    dns::Bytes wild(ce.size() + 2);
    wild[0] = 1;
    wild[1] = '*';
    std::copy(ce.begin(), ce.end(), wild.begin() + 2);
    if (exists(wild)) include_node(wild);
  }

  const dns::ZoneContent& z_;
  const GovernedElsewhere& elsewhere_;
  dns::Bytes apex_;
  NameMap<std::vector<uint32_t>> owners_;  // record indexes per owner
  NameSet ents_;                           // names without records that exist
  std::vector<bool> keep_;
  NameSet kept_names_, nodes_done_, cuts_done_;
};

}  // namespace

Dependents find_dependents(const dns::ZoneContent& zone, const GovernedElsewhere& elsewhere) {
  return Analysis(zone, elsewhere).run();
}

}  // namespace fodns::zone
