// What the DNS workers need to answer AXFR/IXFR for one zone, built by the
// control loop beside each snapshot and published with it: the served zone as
// uncompressed wire RRs (health applied), its transfer ACL, and the journal of
// served changes. Immutable once published.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <optional>  // before ldns (via dns/rr.h), whose C headers may define `false`
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "dns/name.h"
#include "dns/rr.h"
#include "xfr/tsig.h"
#include "zone/zone_snapshot.h"

namespace fodns::xfr {

/// One ACL entry: an address prefix and/or a key; both must match when both are set.
struct AclRule {
  bool any_address = true;
  int family = AF_UNSPEC;
  uint8_t addr[16] = {};
  int prefix_len = 0;
  dns::Bytes key_name;  // empty: no key required
};

/// Parses "192.0.2.0/24", "2001:db8::/32", "192.0.2.1" (a host); host bits must be zero.
Result<AclRule> parse_prefix(std::string_view text);
bool prefix_matches(const AclRule& rule, const sockaddr* peer);

/// RRs in uncompressed wire form, concatenated: owner, type, class, ttl, rdlength, rdata.
struct RrBlob {
  std::vector<uint8_t> bytes;
  uint32_t count = 0;
  void add(const dns::Rr& rr);
  /// Length of the RR that starts at `off`; 0 if malformed.
  size_t rr_length(size_t off) const;
};

/// One journal step: what turns serial `from` into `to`. Each list starts with
/// its SOA (old SOA in `removed`, new SOA in `added`), as IXFR sends them.
struct JournalDiff {
  uint32_t from = 0;
  uint32_t to = 0;
  RrBlob removed;
  RrBlob added;
};

struct ZoneTransfer {
  dns::Bytes apex;
  uint32_t serial = 0;
  RrBlob soa;                       // exactly one RR
  RrBlob rrs;                       // every other served RR
  std::vector<AclRule> acl;         // empty: transfers refused
  std::vector<std::shared_ptr<const JournalDiff>> journal;  // oldest first
};
using ZoneTransferPtr = std::shared_ptr<const ZoneTransfer>;

/// Published attached to a snapshot (ZoneSnapshot::set_transfers).
struct TransferTable : zone::SnapshotAttachment {
  std::vector<TsigKey> keys;
  std::vector<ZoneTransferPtr> zones;
  const ZoneTransfer* find(const uint8_t* apex, size_t len) const;
};
using TransferTablePtr = std::shared_ptr<const TransferTable>;

/// The transfer table attached to `snap`; null if none (or no snapshot).
/// Only xfr attaches anything, so the downcast is safe.
inline const TransferTable* transfer_table(const zone::ZoneSnapshot* snap) {
  return snap ? static_cast<const TransferTable*>(snap->transfers().get()) : nullptr;
}
inline TransferTablePtr transfers_of(const zone::ZoneSnapshot* snap) {
  if (!snap) return nullptr;
  return std::static_pointer_cast<const TransferTable>(snap->transfers());
}

/// The journal diff between two served RR sets (each as sorted unique RR wire
/// strings, SOA excluded), SOAs prepended.
std::shared_ptr<JournalDiff> make_diff(uint32_t from, uint32_t to, const dns::Rr& old_soa,
                                       const dns::Rr& new_soa,
                                       const std::vector<std::string>& old_set,
                                       const std::vector<std::string>& new_set);

/// The canonical key of an RR in a served set: its uncompressed wire form.
std::string rr_key(const dns::Rr& rr);

}  // namespace fodns::xfr
