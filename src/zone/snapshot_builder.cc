#include "zone/snapshot_builder.h"

#include <algorithm>

#include "zone/rdata_names.h"
#include "zone/zone_compiler.h"

namespace fodns::zone {

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
