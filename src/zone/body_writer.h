// BodyWriter: writes the sections of one precompiled answer in wire form,
// compressing names against the template qname (at offset 12) and against
// what it already wrote, and remembering where every compression pointer is
// so that the responder can relocate them (see the glossary in zone_snapshot.h).
// Used only by SnapshotBuilder on the control loop.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "dns/rr.h"
#include "zone/zone_snapshot.h"

namespace fodns::zone {

/// Records of one owner and type, TTL already unified (the lowest, RFC 2181 §5.2).
struct RRset {
  dns::Bytes owner;
  uint16_t type = 0;
  uint32_t ttl = 0;
  std::vector<const dns::Rr*> rrs;
};

class BodyWriter {
 public:
  /// Starts a new body. One writer is reused for every answer of a zone: its
  /// buffers keep their capacity, so a compile does not allocate per answer.
  void reset(const dns::Bytes& template_qname, Relocation relocation);

  /// Appends every record of `set` with `owner` as owner name (a wildcard or CNAME
  /// target may differ from set.owner). Returns the number of records written.
  uint16_t add_rrset(const dns::Bytes& owner, const RRset& set);

  size_t size() const { return body_.size(); }
  const std::vector<uint8_t>& body() const { return body_; }
  const std::vector<uint16_t>& fixups() const { return fixups_; }

 private:
  // A lowercase name suffix already in the message: lower_[start, start + len) at `offset`.
  struct Suffix {
    uint32_t start;
    uint16_t len;
    uint16_t offset;
  };
  void write_name(const uint8_t* name, size_t len, bool compress);
  void write_rdata(uint16_t type, const dns::Bytes& rdata);

  const dns::Bytes* template_ = nullptr;
  Relocation relocation_ = Relocation::Suffix;
  size_t base_ = 0;  // absolute message offset of body_[0]
  std::vector<uint8_t> body_;
  std::vector<uint16_t> fixups_;
  std::vector<uint8_t> lower_;  // every name written (and the template), lowercased
  std::vector<Suffix> dict_;
};

}  // namespace fodns::zone
