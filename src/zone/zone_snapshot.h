// ZoneSnapshot: every served zone, compiled into precompiled wire answers.
//
// Start reading here. A snapshot is immutable once built (by SnapshotBuilder on
// the control loop) and shared read-only by all DNS workers through a
// SnapshotPtr, so the query path takes no lock. Everything is flat vectors and
// one byte arena, so that building and freeing one is cheap.
//
// GLOSSARY
//  - template qname: the name an answer body was compiled for. The body is wire
//    data that follows the question, with compression pointers into the
//    question (at offset 12) and into itself.
//  - exact answer: compiled for the node's own name; the query's qname has the
//    same length, so the body is copied as is (whatever the client's case).
//  - suffix answer (NXDOMAIN/NODATA at the apex, referrals at a cut): the
//    template qname is a suffix of the query's qname; every pointer moves by
//    delta = len(qname) - len(template).
//  - wildcard answer: compiled for "*.closest-encloser"; pointers to offset 12
//    mean "the qname" and stay, every other pointer moves by delta.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dns/name.h"

namespace fodns::zone {

/// Data a higher layer publishes together with a snapshot: xfr's transfer
/// table (xfr::transfers_of() reads it back). zone/ only keeps it alive, so
/// the snapshot does not depend on xfr, which depends on zone.
struct SnapshotAttachment {
  virtual ~SnapshotAttachment() = default;
};

enum class Relocation : uint8_t { Suffix, Wildcard };

struct CompiledAnswer {
  uint32_t body_off = 0;       // into bytes_
  uint32_t body_len = 0;
  uint32_t required_len = 0;   // answer + authority; additional RRsets may be left out to fit
  uint32_t fixup_off = 0;      // into fixups_: body offsets of compression pointers
  uint32_t addl_off = 0;       // into addl_cuts_: body end offset after each additional RRset
  uint16_t fixup_count = 0;
  uint16_t addl_count = 0;     // number of additional RRsets
  uint16_t an = 0, ns = 0, ar = 0;
  uint8_t template_len = 0;    // wire length of the template qname
  uint8_t rcode = 0;
  bool aa = true;
  bool carries_soa = false;    // its SOA (serial) is current only in the zone's overlay, if any
  Relocation relocation = Relocation::Suffix;
};

struct AddlCut {
  uint32_t end;     // body offset where this additional RRset ends
  uint16_t count;   // cumulative RR count of the additional section up to `end`
};

struct TypeAnswer {
  uint16_t qtype;
  uint32_t answer;  // index into answers_
};

inline constexpr uint32_t kNoAnswer = 0xFFFFFFFF;

struct Node {
  uint32_t name_off = 0;       // into names_ (lowercase wire)
  uint8_t name_len = 0;
  bool is_cut = false;         // NS below the apex: a delegation point
  bool is_wildcard = false;
  bool in_overlay = false;     // its answers follow health: the zone's overlay answers for it
  uint32_t types_off = 0;      // into types_, sorted by qtype
  uint16_t types_count = 0;
  uint32_t default_answer = kNoAnswer;   // types not listed (NODATA, or a CNAME chain)
  uint32_t any_answer = kNoAnswer;       // RFC 8482 minimal ANY
  uint32_t referral = kNoAnswer;         // set when at or below a cut
  uint32_t wildcard_child = kNoAnswer;   // node index of "*.<this>"
};

/// One zone, compiled. Immutable and shared: a snapshot rebuilt because one
/// zone changed reuses every other zone's CompiledZone as it is.
///
/// A zone whose answers follow backend health is served as a base plus an
/// overlay (both CompiledZones). The base is compiled once at load and shared by
/// every generation; its nodes whose answers depend on health have `in_overlay` set.
/// The base's answers that carry the SOA (NODATA, NXDOMAIN, the apex SOA) are
/// taken from the overlay too, whose SOA has the current serial.
/// The overlay is compiled from just those nodes' records (zone/dependents.h) on
/// each change and answers for them. Ordinary nodes pay one predictable branch.
class CompiledZone {
 public:
  const dns::Bytes& apex() const { return apex_; }
  const std::string& apex_text() const { return apex_text_; }
  uint32_t serial() const { return serial_; }
  uint64_t record_count() const { return record_count_; }
  uint32_t nodata() const { return nodata_; }      // NOERROR + SOA, template = apex
  uint32_t nxdomain() const { return nxdomain_; }  // NXDOMAIN + SOA, template = apex
  uint32_t apex_node() const { return apex_node_; }

  /// Node index of the lowercase wire `name`, or kNoAnswer.
  uint32_t find_node(const uint8_t* name, size_t len) const;
  const Node& node(uint32_t i) const { return nodes_[i]; }
  const uint8_t* node_name(uint32_t i) const { return names_.data() + nodes_[i].name_off; }
  const CompiledAnswer& answer(uint32_t i) const { return answers_[i]; }
  const uint8_t* bytes() const { return bytes_.data(); }
  const uint16_t* fixups() const { return fixups_.data(); }
  const AddlCut* addl_cuts() const { return addl_cuts_.data(); }
  /// Answer for qtype at node `n` (types list, else the default).
  uint32_t answer_for(uint32_t n, uint16_t qtype) const;
  size_t memory_bytes() const;

 private:
  friend class ZoneCompiler;
  friend class SnapshotBuilder;
  dns::Bytes apex_;
  std::string apex_text_;
  uint32_t serial_ = 0;
  uint64_t record_count_ = 0;
  uint32_t nodata_ = kNoAnswer;
  uint32_t nxdomain_ = kNoAnswer;
  uint32_t apex_node_ = 0;
  uint32_t table_mask_ = 0;
  std::vector<Node> nodes_;
  std::vector<uint32_t> slots_;  // open addressing: node index + 1, 0 = empty
  std::vector<uint8_t> names_;
  std::vector<TypeAnswer> types_;
  std::vector<CompiledAnswer> answers_;
  std::vector<uint8_t> bytes_;
  std::vector<uint16_t> fixups_;
  std::vector<AddlCut> addl_cuts_;
};

using CompiledZonePtr = std::shared_ptr<const CompiledZone>;

class ZoneSnapshot {
 public:
  /// Zones are found by their apex; a later zone with the same apex replaces an earlier one.
  ZoneSnapshot(std::vector<CompiledZonePtr> zones, uint64_t generation,
               std::vector<CompiledZonePtr> overlays = {});
  /// The next generation of `prev`: zone i replaced by `replaced[k].second` for each
  /// i = `replaced[k].first`. Costs a copy of the pointer vector and of the apex table
  /// (no rehash, no name compared), so a flip in one zone among 10,000 stays cheap.
  /// Every replacement must keep its apex (else use the constructor above).
  struct Replacement {
    size_t index;
    CompiledZonePtr zone;
    CompiledZonePtr overlay;  // null: none
  };
  ZoneSnapshot(const ZoneSnapshot& prev, const std::vector<Replacement>& replaced,
               uint64_t generation);

  /// The zone whose apex is the longest suffix of the lowercase qname, or null.
  /// `label_off` are the qname's label offsets, as Query parses them.
  /// `overlay`, if given, is set to the zone's overlay (null for most zones).
  const CompiledZone* find_zone(const uint8_t* qname, size_t qname_len, const uint8_t* label_off,
                                int label_count, const CompiledZone** overlay = nullptr) const;

  const CompiledZone& zone(size_t i) const { return *zones_[i]; }
  const CompiledZonePtr& zone_ptr(size_t i) const { return zones_[i]; }
  const CompiledZonePtr& overlay_ptr(size_t i) const { return overlays_[i]; }
  size_t zone_count() const { return zones_.size(); }
  uint64_t record_count() const;
  size_t memory_bytes() const;
  uint64_t generation() const { return generation_; }

  static uint64_t hash_name(const uint8_t* name, size_t len);

  /// AXFR/IXFR data of the zones that allow transfers; null if none does.
  /// Set by the control loop before the snapshot is published.
  const std::shared_ptr<const SnapshotAttachment>& transfers() const { return transfers_; }
  void set_transfers(std::shared_ptr<const SnapshotAttachment> t) { transfers_ = std::move(t); }

 private:
  std::shared_ptr<const SnapshotAttachment> transfers_;
  std::vector<CompiledZonePtr> zones_;
  std::vector<CompiledZonePtr> overlays_;  // parallel to zones_; null where a zone has none
  std::vector<uint32_t> apex_slots_;  // open addressing: zone index + 1, 0 = empty
  uint32_t apex_mask_ = 0;
  int max_apex_labels_ = 0;
  int min_apex_labels_ = 0;
  uint64_t generation_ = 0;
};

using SnapshotPtr = std::shared_ptr<const ZoneSnapshot>;

}  // namespace fodns::zone
