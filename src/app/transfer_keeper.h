// TransferKeeper: the control loop's side of zone transfers. For every zone
// that allows transfers or notifies secondaries it keeps the served RR set, turns
// each served change into a journal step (in memory and in SQLite), and builds
// the TransferTable that is published with each snapshot. Zones without
// transfer settings cost nothing here.
// Threading: control loop only.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "dns/zone_content.h"
#include "store/db.h"
#include "store/transfer_repo.h"
#include "xfr/transfer_data.h"

namespace fodns::app {

class TransferKeeper {
 public:
  /// Where served() sends its journal steps instead of writing them itself (the
  /// control loop queues them behind the publication: a locked database must not
  /// delay it). Unset: written at once, in their own transaction.
  using JournalSink = std::function<void(int64_t zone_id, store::JournalEntry entry,
                                         int64_t max_entries, int64_t max_age_s)>;
  void set_journal_sink(JournalSink sink) { journal_sink_ = std::move(sink); }

  /// Reads keys, per-zone settings and journals. Keeps the served sets of zones
  /// that stay configured, so that diffs continue across a reload. Throws StoreError.
  void load(store::Db& db);

  bool enabled(int64_t zone_id) const { return zones_.count(zone_id) != 0; }
  const store::TransferConfig* config(int64_t zone_id) const;

  /// The records of a base + overlay zone that health never changes: `whole`
  /// minus `kept` (both null: none, the zone is served whole). served() is then
  /// given only what the overlay serves, and a flip costs what it changes.
  void rebase(int64_t zone_id, const dns::ZoneContent* whole, const dns::ZoneContent* kept);

  /// Records what zone `zone_id` now serves. A new serial after a known served
  /// set becomes a journal step, handed to the journal sink or written to `db` (its own
  /// transaction; a failure only costs IXFR, never the answers). @return true if the zone serves
  /// something new under an unchanged serial: the caller must bump the serial.
  bool served(store::Db& db, const dns::ZoneContent& served);

  /// A zone whose secondaries must hear of a new serial.
  struct Notification {
    std::string zone;
    dns::Rr soa;
    std::vector<store::NotifyTarget> targets;
    std::optional<xfr::TsigKey> key;  // the first key of the zone's ACL, if any
  };
  /// The zones that served a new serial since the last call.
  std::vector<Notification> take_notifications();

  /// Forgets the journal of a zone whose served history we cannot know (after a
  /// restart that bumped its serial): IXFR falls back to a full transfer.
  void reset_journal(store::Db& db, int64_t zone_id);

  /// The table to publish with the next snapshot; null if no zone allows transfers.
  xfr::TransferTablePtr table();

 private:
  struct Zone {
    store::TransferConfig config;
    std::vector<xfr::AclRule> acl;
    bool known = false;                 // `set`/`soa`/`serial` describe what we served
    uint32_t serial = 0;
    dns::Rr soa;
    std::vector<std::string> base;      // sorted RR wire keys health never changes
    std::vector<std::string> set;       // sorted RR wire keys of the rest, SOA left out
    bool rebased = false;               // base changed since the last served()
    std::vector<std::string> prev_full; // base + set before the rebase, when known
    std::vector<std::shared_ptr<const xfr::JournalDiff>> journal;
    xfr::ZoneTransferPtr built;         // null: rebuild at the next table()
  };
  std::map<int64_t, Zone> zones_;
  std::vector<xfr::TsigKey> keys_;
  xfr::TransferTablePtr table_;
  bool dirty_ = true;
  std::vector<int64_t> notify_due_;
  JournalSink journal_sink_;
};

}  // namespace fodns::app
