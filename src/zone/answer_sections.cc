// The sections of each compiled answer: which RRsets go in the answer,
// authority and additional sections (CNAME chains, wildcards, referrals, glue,
// SRV/NAPTR/MX additionals). The wire layout is snapshot_builder.cc's.
#include <algorithm>

#include "zone/rdata_names.h"
#include "zone/zone_compiler.h"

namespace fodns::zone {

int ZoneCompiler::resolve(const dns::Bytes& name, bool* below_cut) const {
  *below_cut = false;
  int n = find(name);
  if (n >= 0) {
    *below_cut = nodes_[static_cast<size_t>(n)].cut >= 0;
    return n;
  }
  dns::Bytes ce = name;
  int e = -1;
  while (e < 0 && ce.size() > apex_.size()) {
    ce = dns::name_parent(ce);
    e = find(ce);
  }
  if (e < 0) return -1;
  if (nodes_[static_cast<size_t>(e)].cut >= 0) {
    *below_cut = true;
    return e;
  }
  dns::Bytes wild{1, '*'};
  wild.insert(wild.end(), ce.begin(), ce.end());
  return find(wild);
}

void ZoneCompiler::add_additional(Sections& s, const RRset& set, bool occluded_glue) const {
  auto already = [&](const dns::Bytes& owner, uint16_t type) {
    for (auto* sec : {&s.answer, &s.additional})
      for (auto& [o, r] : *sec)
        if (*o == owner && r->type == type) return true;
    return false;
  };
  auto add_addresses = [&](const dns::Bytes& target) {
    if (target.empty() || !in_zone(target)) return;
    int t = find(target);
    if (t < 0) return;
    if (nodes_[static_cast<size_t>(t)].cut >= 0 && !occluded_glue) return;
    for (uint16_t type : {dns::type::kA, dns::type::kAaaa}) {
      const RRset* r = rrset(t, type);
      if (r && !already(target, type)) s.additional.emplace_back(&nodes_[static_cast<size_t>(t)].name, r);
    }
  };
  for (const dns::Rr* rr : set.rrs) {
    switch (set.type) {
      case dns::type::kNs: add_addresses(rdata_name_at(rr->rdata, 0)); break;
      case dns::type::kMx: add_addresses(rdata_name_at(rr->rdata, 2)); break;
      case dns::type::kSrv: add_addresses(rdata_name_at(rr->rdata, 6)); break;
      case dns::type::kNaptr: {
        // RFC 3263 §4.1: a SIP client follows NAPTR to SRV to A/AAAA; hand it all.
        dns::Bytes repl = naptr_replacement(rr->rdata);
        if (repl.empty() || repl.size() == 1 || !in_zone(repl)) break;
        int t = find(repl);
        if (t < 0 || nodes_[static_cast<size_t>(t)].cut >= 0) break;
        if (const RRset* srv = rrset(t, dns::type::kSrv); srv && !already(repl, dns::type::kSrv)) {
          s.additional.emplace_back(&nodes_[static_cast<size_t>(t)].name, srv);
          for (const dns::Rr* srr : srv->rrs) add_addresses(rdata_name_at(srr->rdata, 6));
        }
        add_addresses(repl);
        break;
      }
      default: break;
    }
  }
}

void ZoneCompiler::answer_sections(Sections& s, int n, const dns::Bytes& owner,
                                   uint16_t qtype) const {
  s.clear();
  const dns::Bytes* cur_owner = &owner;
  int cur = n;
  // A CNAME loop from a database written before loops were refused: each node answers
  // once, so no record is repeated (RFC 1034 §3.6.2; it gave 9 CNAMEs for a 2-name loop).
  int visited[kMaxCnameChain + 1];
  for (int hop = 0; hop <= kMaxCnameChain; ++hop) {
    if (std::find(visited, visited + hop, cur) != visited + hop) return;
    visited[hop] = cur;
    const RRset* cname = rrset(cur, dns::type::kCname);
    if (cname && qtype != dns::type::kCname) {
      s.answer.emplace_back(cur_owner, cname);
      dns::Bytes target = rdata_name_at(cname->rrs.front()->rdata, 0);
      // Out of zone: the client's resolver follows it (RFC 1034 §4.3.2 step 3a).
      if (target.empty() || !in_zone(target)) return;
      bool below_cut = false;
      int t = resolve(target, &below_cut);
      if (below_cut) return;
      if (t < 0) {
        s.rcode = dns::rcode::kNxDomain;  // RFC 6604: the RCODE of the last name in the chain
        add_negative(s);
        return;
      }
      cur = t;
      s.chain[static_cast<size_t>(hop)] = std::move(target);
      cur_owner = &s.chain[static_cast<size_t>(hop)];
      continue;
    }
    if (const RRset* r = rrset(cur, qtype)) {
      s.answer.emplace_back(cur_owner, r);
      add_additional(s, *r, qtype == dns::type::kNs);
    } else {
      add_negative(s);
    }
    return;
  }
  // a chain longer than kMaxCnameChain: the client resolves the rest
}

}  // namespace fodns::zone
