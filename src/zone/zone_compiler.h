// ZoneCompiler: compiles one zone's records into a CompiledZone. Private to
// src/zone: answer_sections.cc decides which records each answer carries,
// snapshot_builder.cc lays the answers out as wire bodies and builds the node table.
// Threading: control loop only (a compile is single-threaded and owns its output).
#pragma once

#include <array>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "dns/wire.h"
#include "dns/zone_content.h"
#include "common/result.h"
#include "zone/body_writer.h"
#include "zone/name_key.h"
#include "zone/snapshot_builder.h"
#include "zone/zone_snapshot.h"

namespace fodns::zone {
inline constexpr size_t kMaxBody = 65535 - dns::kHeaderSize - dns::kMaxNameLen - 4 - dns::kOptRrSize;

struct BNode {
  dns::Bytes name;
  std::map<uint16_t, RRset> rrsets;
  bool is_cut = false;
  int cut = -1;  // index of the highest cut at or above this node, -1 if none
};

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

}  // namespace fodns::zone
