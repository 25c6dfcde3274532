// SnapshotBuilder: compiles zones (records as stored) into an immutable
// ZoneSnapshot of precompiled answers. Runs on the control loop, off to the
// side of the serving snapshot; the result is published as one pointer.
//
// What it decides, once per (name, type), instead of once per query:
// CNAME chains inside the zone, referrals at delegations (RFC 1034 §4.3.2),
// wildcard answers (RFC 4592), negative answers with the SOA (RFC 2308),
// and the additional section (A/AAAA of NS/MX/SRV targets; for NAPTR the
// SRV records of the replacement and their addresses, RFC 3263).
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "dns/zone_content.h"
#include "zone/zone_snapshot.h"

namespace fodns::zone {

/// CNAME hops followed inside a zone; the client resolves the rest.
inline constexpr int kMaxCnameChain = 8;

class SnapshotBuilder {
 public:
  /// Builds a snapshot of all `zones`. Fails only on data the validator should
  /// have refused (a zone without SOA, say), naming the zone.
  static Result<SnapshotPtr> build(const std::vector<dns::ZoneContent>& zones,
                                   uint64_t generation);
  /// Compiles one zone; a snapshot is assembled from compiled zones with
  /// `std::make_shared<const ZoneSnapshot>(zones, generation)`.
  /// Nodes named in `overlay_nodes` are flagged in_overlay (see CompiledZone).
  /// `apex_text`, when the caller has it, is the origin as ldns prints it (printing
  /// it again cost a flip that recompiles 10,000 overlays more than the compile).
  static Result<CompiledZonePtr> compile_zone(const dns::ZoneContent& zone,
                                              const std::vector<dns::Bytes>* overlay_nodes = nullptr,
                                              std::string_view apex_text = {});
};

}  // namespace fodns::zone
