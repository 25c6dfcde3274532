#include "app/transfer_keeper.h"

#include <algorithm>

#include "common/log.h"
#include "dns/wire.h"
#include "store/zone_repo.h"

namespace fodns::app {
namespace {

xfr::RrBlob blob_from_bytes(std::vector<uint8_t> bytes) {
  xfr::RrBlob b;
  b.bytes = std::move(bytes);
  for (size_t off = 0; off < b.bytes.size();) {
    size_t n = b.rr_length(off);
    if (n == 0) break;
    off += n;
    ++b.count;
  }
  return b;
}

// The records of two sorted key sets in order, each once, without copying the
// keys into a merged set first (a 1M-record base is walked on every flip).
std::vector<uint8_t> concat_merged(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  size_t bytes = 0;
  for (const auto& k : a) bytes += k.size();
  for (const auto& k : b) bytes += k.size();
  std::vector<uint8_t> out;
  out.reserve(bytes);
  auto put = [&out](const std::string& k) { out.insert(out.end(), k.begin(), k.end()); };
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    if (j == b.size() || (i < a.size() && a[i] < b[j])) put(a[i++]);
    else if (i == a.size() || b[j] < a[i]) put(b[j++]);
    else put(a[i++]), ++j;  // in both: once
  }
  return out;
}

// Sorted, unique wire keys of a zone's records, the apex SOA left out (and returned).
std::vector<std::string> sorted_keys(const dns::ZoneContent& z, const dns::Rr** soa) {
  std::vector<std::string> set;
  set.reserve(z.rrs.size());
  for (const auto& rr : z.rrs) {
    if (rr.type == dns::type::kSoa && rr.owner == z.origin) {
      if (soa) *soa = &rr;
      continue;
    }
    set.push_back(xfr::rr_key(rr));
  }
  std::sort(set.begin(), set.end());
  set.erase(std::unique(set.begin(), set.end()), set.end());
  return set;
}

std::vector<std::string> merged(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<std::string> out;
  out.reserve(a.size() + b.size());
  std::set_union(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

}  // namespace

const store::TransferConfig* TransferKeeper::config(int64_t zone_id) const {
  auto it = zones_.find(zone_id);
  return it == zones_.end() ? nullptr : &it->second.config;
}

void TransferKeeper::load(store::Db& db) {
  std::vector<xfr::TsigKey> keys;
  for (const auto& k : store::list_tsig_keys(db)) {
    auto key = xfr::make_key(k.name, k.algorithm, k.secret);
    if (!key) {
      log::warn("msg=\"TSIG key unusable, ignored\" key={} algorithm={}", k.name, k.algorithm);
      continue;
    }
    keys.push_back(std::move(*key));
  }
  std::map<int64_t, Zone> zones;
  for (auto& cfg : store::load_transfer_configs_in_use(db)) {
    if (cfg.acl.empty() && cfg.notify.empty()) continue;
    Zone z;
    for (const auto& e : cfg.acl) {
      xfr::AclRule rule;
      if (!e.prefix.empty()) {
        auto r = xfr::parse_prefix(e.prefix);
        if (!r) {
          log::warn("msg=\"transfer ACL entry unusable, ignored\" zone={} prefix={} error=\"{}\"",
                    cfg.zone_name, e.prefix, r.error().message);
          continue;
        }
        rule = *r;
      }
      if (!e.key_name.empty()) {
        auto n = dns::name_from_text(e.key_name);
        if (!n) continue;
        rule.key_name = *n;
      }
      z.acl.push_back(std::move(rule));
    }
    if (auto old = zones_.find(cfg.zone_id); old != zones_.end()) {
      // Same zone as before the reload: continue its history.
      z.known = old->second.known;
      z.serial = old->second.serial;
      z.soa = std::move(old->second.soa);
      z.set = std::move(old->second.set);
      z.base = std::move(old->second.base);
      z.journal = std::move(old->second.journal);
    } else {
      for (auto& e : store::load_journal(db, cfg.zone_id)) {
        auto d = std::make_shared<xfr::JournalDiff>();
        d->from = e.serial_from;
        d->to = e.serial_to;
        d->removed = blob_from_bytes(std::move(e.removed));
        d->added = blob_from_bytes(std::move(e.added));
        z.journal.push_back(std::move(d));
      }
    }
    z.config = std::move(cfg);
    zones.emplace(z.config.zone_id, std::move(z));
  }
  zones_ = std::move(zones);
  keys_ = std::move(keys);
  dirty_ = true;
}

bool TransferKeeper::served(store::Db& db, const dns::ZoneContent& served) {
  auto it = zones_.find(served.zone_id);
  if (it == zones_.end()) return false;
  Zone& z = it->second;
  const dns::Rr* soa = nullptr;
  std::vector<std::string> set = sorted_keys(served, &soa);
  if (!soa) return false;  // validation guarantees one; nothing sensible to transfer otherwise
  // After a rebase (a reload) the base may have changed too: compare whole sets
  // once; otherwise the base is the same on both sides and only the rest differs.
  std::vector<std::string> new_full;
  if (z.rebased) new_full = merged(z.base, set);
  const std::vector<std::string>& old_cmp = z.rebased ? z.prev_full : z.set;
  const std::vector<std::string>& new_cmp = z.rebased ? new_full : set;
  if (z.known && served.serial == z.serial) {
    // Same serial: same content, or the caller must move the serial on.
    return old_cmp != new_cmp || xfr::rr_key(*soa) != xfr::rr_key(z.soa);
  }
  if (z.known) {
    auto diff = xfr::make_diff(z.serial, served.serial, z.soa, *soa, old_cmp, new_cmp);
    z.journal.push_back(diff);
    int64_t now = store::unix_now();
    int64_t max = std::max<int64_t>(1, z.config.journal_max);
    while (static_cast<int64_t>(z.journal.size()) > max) z.journal.erase(z.journal.begin());
    if (journal_sink_) {
      journal_sink_(served.zone_id, {diff->from, diff->to, now, diff->removed.bytes, diff->added.bytes},
                    z.config.journal_max, z.config.journal_max_age_s);
    } else {
      try {
        store::Transaction tx(db);
        store::JournalEntry e{diff->from, diff->to, now, diff->removed.bytes, diff->added.bytes};
        store::append_journal(db, served.zone_id, e, z.config.journal_max, z.config.journal_max_age_s, now);
        tx.commit();
      } catch (const std::exception& ex) {
        log::warn("msg=\"cannot write the journal; IXFR from before this change will be a full "
                  "transfer\" zone={} error=\"{}\"", z.config.zone_name, ex.what());
      }
    }
  }
  notify_due_.push_back(served.zone_id);
  z.known = true;
  z.serial = served.serial;
  z.soa = *soa;
  z.set = std::move(set);
  z.rebased = false;
  z.prev_full.clear();
  z.built.reset();
  dirty_ = true;
  return false;
}

void TransferKeeper::rebase(int64_t zone_id, const dns::ZoneContent* whole, const dns::ZoneContent* kept) {
  auto it = zones_.find(zone_id);
  if (it == zones_.end()) return;
  Zone& z = it->second;
  std::vector<std::string> base;
  if (whole && kept) {
    std::vector<std::string> all = sorted_keys(*whole, nullptr), rest = sorted_keys(*kept, nullptr);
    std::set_difference(all.begin(), all.end(), rest.begin(), rest.end(), std::back_inserter(base));
  }
  if (!z.rebased) z.prev_full = z.known ? merged(z.base, z.set) : std::vector<std::string>{};
  z.base = std::move(base);
  z.rebased = true;
  z.built.reset();
  dirty_ = true;
}

void TransferKeeper::reset_journal(store::Db& db, int64_t zone_id) {
  auto it = zones_.find(zone_id);
  if (it == zones_.end()) return;
  it->second.journal.clear();
  it->second.built.reset();
  dirty_ = true;
  try {
    store::Transaction tx(db);
    store::clear_journal(db, zone_id);
    tx.commit();
  } catch (const std::exception& ex) {
    log::warn("msg=\"cannot clear the journal\" zone={} error=\"{}\"", it->second.config.zone_name, ex.what());
  }
}

std::vector<TransferKeeper::Notification> TransferKeeper::take_notifications() {
  std::vector<Notification> out;
  std::sort(notify_due_.begin(), notify_due_.end());
  notify_due_.erase(std::unique(notify_due_.begin(), notify_due_.end()), notify_due_.end());
  for (int64_t id : notify_due_) {
    auto it = zones_.find(id);
    if (it == zones_.end() || it->second.config.notify.empty() || !it->second.known) continue;
    const Zone& z = it->second;
    Notification n{z.config.zone_name, z.soa, z.config.notify, std::nullopt};
    for (const auto& e : z.config.acl) {
      if (e.key_name.empty()) continue;
      auto wire = dns::name_from_text(e.key_name);
      for (const auto& k : keys_)
        if (wire && k.name == *wire) n.key = k;
      if (n.key) break;
    }
    out.push_back(std::move(n));
  }
  notify_due_.clear();
  return out;
}

xfr::TransferTablePtr TransferKeeper::table() {
  if (!dirty_) return table_;
  auto t = std::make_shared<xfr::TransferTable>();
  t->keys = keys_;
  for (auto& [id, z] : zones_) {
    if (z.acl.empty() || !z.known) continue;
    if (!z.built) {
      auto zt = std::make_shared<xfr::ZoneTransfer>();
      zt->apex = z.soa.owner;
      zt->serial = z.serial;
      zt->soa.add(z.soa);
      zt->rrs = blob_from_bytes(concat_merged(z.base, z.set));
      zt->acl = z.acl;
      zt->journal = z.journal;
      z.built = std::move(zt);
    }
    t->zones.push_back(z.built);
  }
  table_ = t->zones.empty() && t->keys.empty() ? nullptr : std::move(t);
  dirty_ = false;
  return table_;
}

}  // namespace fodns::app
