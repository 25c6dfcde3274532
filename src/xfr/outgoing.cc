#include "xfr/outgoing.h"

#include <cstring>

#include "dns/serial.h"
#include "dns/name.h"
#include "dns/wire.h"
#include "xfr/tsig_reply.h"
#include "zone/responder.h"

namespace fodns::xfr {
namespace {

using dns::get16;
using dns::put16;

// Room for the TSIG RR (long key and algorithm names, a SHA-512 MAC) below 64 KiB;
// 16 KiB messages keep each step of a worker's loop short.
constexpr size_t kTargetMessage = 16384;

std::vector<uint8_t> reply_header(const dns::Query& q, uint8_t rcode, bool aa) {
  std::vector<uint8_t> m(q.msg, q.msg + q.question_end);
  m[2] = static_cast<uint8_t>(dns::flag::kQr | (q.opcode << 3) | (aa ? dns::flag::kAa : 0));
  m[3] = rcode;
  put16(m.data() + 4, 1);
  std::memset(m.data() + 6, 0, 6);
  return m;
}

// The serial of the SOA in the authority section of an IXFR query (RFC 1995 §3).
bool client_serial(const dns::Query& q, uint32_t* serial) {
  const uint8_t* m = q.msg;
  if (get16(m + 6) != 0 || get16(m + 8) < 1) return false;
  size_t p = dns::skip_name(m, q.len, q.question_end);
  if (!p || p + 10 > q.len || get16(m + p) != dns::type::kSoa) return false;
  size_t rdlen = get16(m + p + 8), rd = p + 10;
  if (rd + rdlen > q.len) return false;
  size_t s = dns::skip_name(m, rd + rdlen, rd);
  if (s) s = dns::skip_name(m, rd + rdlen, s);
  if (!s || s + 4 > rd + rdlen) return false;
  *serial = dns::get32(m + s);
  return true;
}

// Signs when the request was signed; otherwise leaves the message as it is.
void finish(std::vector<uint8_t>& m, const TsigCheck& tsig, uint64_t now) {
  if (tsig.status != TsigStatus::Ok) return;
  SignState st;
  st.prior_mac = tsig.mac;
  sign(m, *tsig.key, st, now);
}

TransferReply single(std::vector<uint8_t> m, TransferOutcome o) {
  TransferReply r;
  r.message = std::move(m);
  r.outcome = o;
  return r;
}

}  // namespace

const char* outcome_name(TransferOutcome o) {
  switch (o) {
    case TransferOutcome::Axfr: return "axfr";
    case TransferOutcome::Ixfr: return "ixfr";
    case TransferOutcome::IxfrFallback: return "ixfr_full";
    case TransferOutcome::UpToDate: return "up_to_date";
    case TransferOutcome::Refused: return "refused";
    case TransferOutcome::NotAuth: return "notauth";
    case TransferOutcome::FormErr: return "formerr";
    case TransferOutcome::kCount: break;
  }
  return "?";
}

struct TransferBuilder {
  static std::unique_ptr<TransferStream> make(const dns::Query& q, const TransferTablePtr& table,
                                              const TsigCheck& tsig, uint64_t now) {
    auto s = std::make_unique<TransferStream>();
    s->table_ = table;
    s->header_and_question_ = reply_header(q, dns::rcode::kNoError, true);
    if (tsig.status == TsigStatus::Ok) {
      s->key_ = tsig.key;
      s->sign_.prior_mac = tsig.mac;
    }
    s->now_ = now;
    return s;
  }
};

bool TransferStream::next(std::vector<uint8_t>& out) {
  if (seg_ >= segments_.size() && sent_any_) return false;
  out = header_and_question_;
  uint16_t an = 0;
  while (seg_ < segments_.size()) {
    Segment& sg = segments_[seg_];
    if (sg.off >= sg.blob->bytes.size()) {
      ++seg_;
      continue;
    }
    size_t n = sg.blob->rr_length(sg.off);
    if (n == 0) {  // cannot happen with blobs we built; end the segment rather than loop
      ++seg_;
      continue;
    }
    if (an > 0 && out.size() + n > kTargetMessage) break;
    out.insert(out.end(), sg.blob->bytes.begin() + static_cast<long>(sg.off),
               sg.blob->bytes.begin() + static_cast<long>(sg.off + n));
    sg.off += n;
    ++an;
  }
  put16(out.data() + 6, an);
  if (key_) sign(out, *key_, sign_, now_);
  sent_any_ = true;
  return true;
}

namespace {
// What answer_transfer() learnt on the way, for the log line; filled in as it goes.
struct TransferFacts {
  std::string key;
  uint32_t serial = 0;
  bool has_client_serial = false;
  uint32_t client_serial = 0;
};
TransferReply decide_transfer(const dns::Query& q, const sockaddr* peer, bool tcp,
                              const TransferTablePtr& table, uint64_t now, TransferFacts& facts);
}  // namespace

TransferReply answer_transfer(const dns::Query& q, const sockaddr* peer, bool tcp,
                              const TransferTablePtr& table, uint64_t now) {
  TransferFacts facts;
  TransferReply r = decide_transfer(q, peer, tcp, table, now, facts);
  r.key = std::move(facts.key);
  r.serial = facts.serial;
  r.has_client_serial = facts.has_client_serial;
  r.client_serial = facts.client_serial;
  return r;
}

namespace {
TransferReply decide_transfer(const dns::Query& q, const sockaddr* peer, bool tcp,
                              const TransferTablePtr& table, uint64_t now, TransferFacts& facts) {
  std::span<const TsigKey> keys;
  if (table) keys = table->keys;
  TsigCheck tsig = verify({q.msg, q.len}, keys, now);
  if (!tsig.key_name.empty()) facts.key = dns::name_to_text(tsig.key_name);
  if (tsig.status != TsigStatus::Unsigned && tsig.status != TsigStatus::Ok) {
    auto m = reply_header(q, 0, false);
    make_tsig_error_reply(m, tsig, now);
    return single(std::move(m), tsig.status == TsigStatus::FormErr ? TransferOutcome::FormErr
                                                                    : TransferOutcome::NotAuth);
  }
  auto refuse = [&] {
    auto m = reply_header(q, dns::rcode::kRefused, false);
    finish(m, tsig, now);
    return single(std::move(m), TransferOutcome::Refused);
  };
  const ZoneTransfer* zone = table ? table->find(q.qname_lower, q.qname_len) : nullptr;
  if (!zone) return refuse();
  facts.serial = zone->serial;
  bool allowed = false;
  for (const auto& rule : zone->acl) {
    if (!prefix_matches(rule, peer)) continue;
    if (!rule.key_name.empty() && (tsig.status != TsigStatus::Ok || tsig.key->name != rule.key_name))
      continue;
    allowed = true;
    break;
  }
  if (!allowed) return refuse();

  bool ixfr = q.qtype == dns::type::kIxfr;
  uint32_t from = 0;
  if (ixfr && !client_serial(q, &from))
    return single(reply_header(q, dns::rcode::kFormErr, false), TransferOutcome::FormErr);
  facts.has_client_serial = ixfr;
  facts.client_serial = from;
  // Over UDP, and to a client that is current, the answer is our SOA alone
  // (RFC 1995 §2, §4): it tells the client to use TCP, or that nothing changed.
  if (ixfr && (!tcp || !dns::serial_lt(from, zone->serial))) {
    auto m = reply_header(q, dns::rcode::kNoError, true);
    m.insert(m.end(), zone->soa.bytes.begin(), zone->soa.bytes.end());
    put16(m.data() + 6, 1);
    if (!tcp && q.has_edns) {  // an EDNS query gets our OPT, before the TSIG (RFC 6891 §7)
      uint8_t opt[dns::kOptRrSize];
      m.insert(m.end(), opt, opt + zone::write_opt(q, opt, 0));
      put16(m.data() + 10, 1);
    }
    finish(m, tsig, now);
    return single(std::move(m), TransferOutcome::UpToDate);
  }
  if (!tcp) return refuse();  // AXFR only over TCP (RFC 5936 §4.2)

  TransferReply r;
  r.stream = TransferBuilder::make(q, table, tsig, now);
  TransferStream& segs = *r.stream;
  segs.add(&zone->soa);
  if (ixfr) {
    // A journal chain from the client's serial to ours, else the whole zone.
    size_t first = zone->journal.size();
    for (size_t i = 0; i < zone->journal.size(); ++i)
      if (zone->journal[i]->from == from) first = i;
    bool chain = first < zone->journal.size();
    for (size_t i = first + 1; chain && i < zone->journal.size(); ++i)
      chain = zone->journal[i]->from == zone->journal[i - 1]->to;
    if (chain && zone->journal.back()->to == zone->serial) {
      for (size_t i = first; i < zone->journal.size(); ++i) {
        segs.add(&zone->journal[i]->removed);
        segs.add(&zone->journal[i]->added);
      }
      segs.add(&zone->soa);
      r.outcome = TransferOutcome::Ixfr;
      return r;
    }
    r.outcome = TransferOutcome::IxfrFallback;
  } else {
    r.outcome = TransferOutcome::Axfr;
  }
  segs.add(&zone->rrs);
  segs.add(&zone->soa);
  return r;
}
}  // namespace

}  // namespace fodns::xfr
