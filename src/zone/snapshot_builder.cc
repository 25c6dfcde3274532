#include "zone/snapshot_builder.h"

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <string>
#include <string_view>

#include "dns/wire.h"
#include "zone/body_writer.h"
#include "zone/name_key.h"
#include "zone/rdata_names.h"

namespace fodns::zone {
namespace {

constexpr size_t kMaxBody = 65535 - dns::kHeaderSize - dns::kMaxNameLen - 4 - dns::kOptRrSize;

struct BNode {
  dns::Bytes name;
  std::map<uint16_t, RRset> rrsets;
  bool is_cut = false;
  int cut = -1;  // index of the highest cut at or above this node, -1 if none
};

}  // namespace

// Compiles one zone into the snapshot under construction.
class ZoneCompiler {
 public:
  ZoneCompiler(const dns::ZoneContent& content, CompiledZone& out, std::string_view apex_text)
      : content_(content), snap_(out), apex_(content.origin), apex_text_(apex_text) {}

  Status compile();

 private:
  int find(const dns::Bytes& name) const {
    auto it = index_.find(name_key(name));
    return it == index_.end() ? -1 : it->second;
  }
  int add_node(const dns::Bytes& name) {
    auto [it, inserted] = index_.emplace(name_key(name), static_cast<int>(nodes_.size()));
    if (inserted) nodes_.push_back(BNode{name, {}, false, -1});
    return it->second;
  }
  const RRset* rrset(int n, uint16_t type) const {
    if (n < 0) return nullptr;
    auto it = nodes_[static_cast<size_t>(n)].rrsets.find(type);
    return it == nodes_[static_cast<size_t>(n)].rrsets.end() ? nullptr : &it->second;
  }
  bool in_zone(const dns::Bytes& name) const { return dns::name_is_at_or_below(name, apex_); }

  /// Node that answers for `name`: itself, or the wildcard that synthesizes it; -1 if NXDOMAIN.
  int resolve(const dns::Bytes& name, bool* below_cut) const;

  // Owners point at node names, the apex or `chain` (CNAME targets that may be
  // wildcard-synthesized): no name is copied per answer. Reused between answers.
  struct Sections {
    std::vector<std::pair<const dns::Bytes*, const RRset*>> answer, authority, additional;
    std::array<dns::Bytes, kMaxCnameChain + 1> chain;
    uint8_t rcode = dns::rcode::kNoError;
    bool aa = true;
    void clear() { answer.clear(), authority.clear(), additional.clear(), rcode = dns::rcode::kNoError, aa = true; }
  };
  Sections& fresh_sections() { sections_.clear(); return sections_; }
  void add_additional(Sections& s, const RRset& set, bool occluded_glue) const;
  void add_negative(Sections& s) const {
    s.authority.emplace_back(&apex_, &neg_soa_);
  }
  /// Fills `s` (cleared) with the answer to (owner, qtype) at node n.
  void answer_sections(Sections& s, int n, const dns::Bytes& owner, uint16_t qtype) const;
  uint32_t emit(const dns::Bytes& tmpl, Relocation rel, const Sections& s);

  const dns::ZoneContent& content_;
  CompiledZone& snap_;  // the zone being compiled
  dns::Bytes apex_;
  std::vector<BNode> nodes_;
  std::string_view apex_text_;  // empty: printed from apex_
  NameMap<int> index_;
  BodyWriter writer_;  // reused by every emit()
  Sections sections_;
  std::vector<TypeAnswer> types_;  // one node's answers by type
  std::set<uint16_t> zone_types_;
  RRset neg_soa_;
};

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

uint32_t ZoneCompiler::emit(const dns::Bytes& tmpl, Relocation rel, const Sections& s) {
  BodyWriter& w = writer_;
  w.reset(tmpl, rel);
  CompiledAnswer a;
  for (auto& [owner, set] : s.answer) a.an += w.add_rrset(*owner, *set), a.carries_soa |= set->type == dns::type::kSoa;
  for (auto& [owner, set] : s.authority) a.ns += w.add_rrset(*owner, *set), a.carries_soa |= set->type == dns::type::kSoa;
  a.required_len = static_cast<uint32_t>(w.size());
  a.addl_off = static_cast<uint32_t>(snap_.addl_cuts_.size());
  for (auto& [owner, set] : s.additional) {
    size_t before = w.size();
    uint16_t c = w.add_rrset(*owner, *set);
    if (w.size() > kMaxBody) {
      (void)before;  // cannot shrink the writer; stop listing cuts past the limit
      break;
    }
    a.ar += c;
    snap_.addl_cuts_.push_back(AddlCut{static_cast<uint32_t>(w.size()), a.ar});
    ++a.addl_count;
  }
  // The body ends at the last cut that fits the largest message we can send.
  uint32_t len = a.addl_count ? snap_.addl_cuts_.back().end : a.required_len;
  a.body_off = static_cast<uint32_t>(snap_.bytes_.size());
  a.body_len = len;
  snap_.bytes_.insert(snap_.bytes_.end(), w.body().begin(), w.body().begin() + len);
  a.fixup_off = static_cast<uint32_t>(snap_.fixups_.size());
  for (uint16_t f : w.fixups()) {
    if (f < len) {
      snap_.fixups_.push_back(f);
      ++a.fixup_count;
    }
  }
  a.template_len = static_cast<uint8_t>(tmpl.size());
  a.rcode = s.rcode;
  a.aa = s.aa;
  a.relocation = rel;
  snap_.answers_.push_back(a);
  return static_cast<uint32_t>(snap_.answers_.size() - 1);
}

Status ZoneCompiler::compile() {
  // Group records into RRsets per owner.
  const dns::Rr* soa = nullptr;
  nodes_.reserve(content_.rrs.size() + content_.empty_names.size() + 1);
  index_.reserve(content_.rrs.size() + content_.empty_names.size() + 1);
  const dns::Rr* prev = nullptr;  // records come grouped by owner: one lookup per owner
  int n = -1;
  for (const dns::Rr& rr : content_.rrs) {
    if (!in_zone(rr.owner)) continue;  // the validator refuses these; never serve them
    if (!prev || prev->owner != rr.owner) n = add_node(rr.owner);
    prev = &rr;
    RRset& set = nodes_[static_cast<size_t>(n)].rrsets[rr.type];
    if (set.rrs.empty()) {
      set.owner = rr.owner;
      set.type = rr.type;
      set.ttl = rr.ttl;
    }
    set.ttl = std::min(set.ttl, rr.ttl);
    set.rrs.push_back(&rr);
    zone_types_.insert(rr.type);
    if (rr.type == dns::type::kSoa && rr.owner == apex_) soa = &rr;
  }
  std::string apex_text = apex_text_.empty() ? dns::name_to_text(apex_) : std::string(apex_text_);
  if (!soa) return make_error("zone {} has no SOA at its apex", apex_text);
  uint32_t minimum = 0;
  if (!dns::soa_fields(soa->rdata, nullptr, &minimum))
    return make_error("zone {}: malformed SOA", apex_text);
  neg_soa_ = *rrset(find(apex_), dns::type::kSoa);
  neg_soa_.ttl = std::min(neg_soa_.ttl, minimum);  // RFC 2308 §5

  for (const auto& name : content_.empty_names)
    if (in_zone(name)) add_node(name);
  // Empty non-terminals exist (RFC 4592 §2.2.2): add every ancestor up to the apex.
  size_t with_data = nodes_.size();
  for (size_t i = 0; i < with_data; ++i) {
    dns::Bytes n = nodes_[i].name;
    while (n.size() > apex_.size()) {
      n = dns::name_parent(n);
      if (find(n) >= 0) break;
      add_node(n);
    }
  }
  // Delegations: NS below the apex. Everything at or below the highest cut is
  // answered by a referral from that cut.
  for (auto& node : nodes_) node.is_cut = node.name != apex_ && node.rrsets.count(dns::type::kNs);
  for (size_t i = 0; i < nodes_.size(); ++i) {
    dns::Bytes n = nodes_[i].name;
    int cut = -1;
    while (n.size() > apex_.size()) {
      int a = find(n);
      if (a >= 0 && nodes_[static_cast<size_t>(a)].is_cut) cut = a;
      n = dns::name_parent(n);
    }
    nodes_[i].cut = cut;
  }

  CompiledZone& z = snap_;
  z.apex_ = apex_;
  z.apex_text_ = apex_text;
  z.serial_ = content_.serial;
  z.record_count_ = content_.rrs.size();
  {
    Sections& s = fresh_sections();
    add_negative(s);
    z.nodata_ = emit(apex_, Relocation::Suffix, s);
    s.rcode = dns::rcode::kNxDomain;
    z.nxdomain_ = emit(apex_, Relocation::Suffix, s);
  }

  // Per-zone hash table of nodes, then the compiled answers of each node.
  uint32_t slots = 4;
  while (slots < nodes_.size() * 2) slots <<= 1;
  z.table_mask_ = slots - 1;
  snap_.slots_.assign(slots, 0);
  snap_.nodes_.reserve(nodes_.size());
  uint32_t first_node = 0;
  std::vector<uint32_t> referral_of_cut(nodes_.size(), kNoAnswer);

  for (size_t i = 0; i < nodes_.size(); ++i) {
    const BNode& b = nodes_[i];
    Node node;
    node.name_off = static_cast<uint32_t>(snap_.names_.size());
    node.name_len = static_cast<uint8_t>(b.name.size());
    snap_.names_.insert(snap_.names_.end(), b.name.begin(), b.name.end());
    node.is_cut = b.is_cut;
    node.is_wildcard = b.name.size() > 2 && b.name[0] == 1 && b.name[1] == '*';
    Relocation rel = node.is_wildcard ? Relocation::Wildcard : Relocation::Suffix;

    if (b.cut >= 0) {
      size_t c = static_cast<size_t>(b.cut);
      if (referral_of_cut[c] == kNoAnswer) {
        Sections& s = fresh_sections();
        s.aa = false;
        const RRset* ns = rrset(b.cut, dns::type::kNs);
        s.authority.emplace_back(&nodes_[c].name, ns);
        add_additional(s, *ns, true);
        referral_of_cut[c] = emit(nodes_[c].name, Relocation::Suffix, s);
      }
      node.referral = referral_of_cut[c];
    }

    std::vector<TypeAnswer>& types = types_;  // reused per node
    types.clear();
    if (b.rrsets.count(dns::type::kCname)) {
      // A CNAME owner answers every type by following the chain.
      std::set<uint16_t> qtypes = zone_types_;
      qtypes.insert(dns::type::kCname);
      for (uint16_t t : qtypes) {
        answer_sections(sections_, static_cast<int>(i), b.name, t);
        types.push_back({t, emit(b.name, rel, sections_)});
      }
      answer_sections(sections_, static_cast<int>(i), b.name, 0);
      node.default_answer = emit(b.name, rel, sections_);
      Sections& any = fresh_sections();
      any.answer.emplace_back(&b.name, rrset(static_cast<int>(i), dns::type::kCname));
      node.any_answer = emit(b.name, rel, any);
    } else {
      for (auto& [t, set] : b.rrsets) {
        Sections& s = fresh_sections();
        s.answer.emplace_back(&b.name, &set);
        add_additional(s, set, t == dns::type::kNs);
        types.push_back({t, emit(b.name, rel, s)});
      }
      node.default_answer = z.nodata_;
      // RFC 8482 §4.1: answer ANY with one RRset; the first by type number.
      node.any_answer = types.empty() ? z.nodata_ : types.front().answer;
    }
    node.types_off = static_cast<uint32_t>(snap_.types_.size());
    node.types_count = static_cast<uint16_t>(types.size());
    snap_.types_.insert(snap_.types_.end(), types.begin(), types.end());
    snap_.nodes_.push_back(node);

    uint32_t idx = first_node + static_cast<uint32_t>(i);
    uint64_t h = ZoneSnapshot::hash_name(b.name.data(), b.name.size());
    uint32_t s = static_cast<uint32_t>(h) & z.table_mask_;
    while (snap_.slots_[s] != 0) s = (s + 1) & z.table_mask_;
    snap_.slots_[s] = idx + 1;
  }
  // Link each node to its wildcard child, for the closest-encloser step at query time.
  for (size_t i = 0; i < nodes_.size(); ++i) {
    const BNode& b = nodes_[i];
    if (b.name.size() > 2 && b.name[0] == 1 && b.name[1] == '*') {
      int parent = find(dns::name_parent(b.name));
      if (parent >= 0) snap_.nodes_[first_node + static_cast<uint32_t>(parent)].wildcard_child =
          first_node + static_cast<uint32_t>(i);
    }
  }
  z.apex_node_ = first_node + static_cast<uint32_t>(find(apex_));
  return ok_status();
}

Result<CompiledZonePtr> SnapshotBuilder::compile_zone(const dns::ZoneContent& content,
                                                      const std::vector<dns::Bytes>* overlay_nodes,
                                                      std::string_view apex_text) {
  auto out = std::make_shared<CompiledZone>();
  ZoneCompiler c(content, *out, apex_text);
  if (auto st = c.compile(); !st) return st.error();
  for (const auto& name : overlay_nodes ? *overlay_nodes : std::vector<dns::Bytes>{})
    if (uint32_t i = out->find_node(name.data(), name.size()); i != kNoAnswer) out->nodes_[i].in_overlay = true;
  return CompiledZonePtr(std::move(out));
}

Result<SnapshotPtr> SnapshotBuilder::build(const std::vector<dns::ZoneContent>& zones,
                                           uint64_t generation) {
  std::vector<CompiledZonePtr> compiled;
  compiled.reserve(zones.size());
  for (const auto& content : zones) {
    auto z = compile_zone(content);
    if (!z) return z.error();
    compiled.push_back(*z);
  }
  return std::make_shared<const ZoneSnapshot>(std::move(compiled), generation);
}

}  // namespace fodns::zone
