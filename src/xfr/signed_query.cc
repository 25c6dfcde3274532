#include "xfr/signed_query.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "dns/wire.h"
#include "xfr/tsig_in_place.h"
#include "xfr/tsig_reply.h"

namespace fodns::xfr {
namespace {

std::vector<uint8_t> error_reply(const dns::Query& q) {
  std::vector<uint8_t> m(q.msg, q.msg + q.question_end);
  m[2] = static_cast<uint8_t>(dns::flag::kQr | (q.opcode << 3) | (q.msg[2] & dns::flag::kRd));
  m[3] = 0;
  dns::put16(m.data() + 4, 1);
  std::memset(m.data() + 6, 0, 6);
  return m;
}

size_t emit(const std::vector<uint8_t>& m, uint8_t* out, zone::ResponseInfo* info) {
  std::memcpy(out, m.data(), m.size());
  info->answered = true;
  info->rcode = m[3] & 0x0F;
  return m.size();
}

// Every reply but a signed answer: FORMERR, or NOTAUTH with the TSIG error (RFC 8945 §5.2).
// Rare, so the general verifier runs again for the details it reports; should the two
// verifiers ever disagree (fuzz_tsig checks they do not) the reply is FORMERR.
size_t respond_tsig_error(const dns::Query& q, std::span<const TsigKey> keys, uint64_t now,
                          uint8_t* out, zone::ResponseInfo* info) {
  TsigCheck c = verify({q.msg, q.len}, keys, now);
  auto m = error_reply(q);
  make_tsig_error_reply(m, c, now);
  return emit(m, out, info);
}

}  // namespace

size_t respond_signed(const dns::Query& q, const zone::ZoneSnapshot* snap, bool tcp, uint8_t* out,
                      zone::ResponseInfo* info, uint64_t now) {
  *info = zone::ResponseInfo{};
  const TransferTable* table = transfer_table(snap);
  std::span<const TsigKey> keys;
  if (table) keys = table->keys;
  TsigVerified v = verify_in_place(q, keys, now);
  if (v.status != TsigStatus::Ok) return respond_tsig_error(q, keys, now, out, info);
  // The responder reads the header and question only, so the TSIG RR after them
  // is never taken for data: the query is answered where it lies.
  size_t len = zone::respond(q, dns::ParseResult::Ok, snap, tcp, out, info);
  if (len == 0) return 0;
  size_t limit = tcp ? dns::kMaxMessage : zone::udp_reply_limit(q);
  if (len + tsig_rr_size(*v.key) > limit) {
    // No room for the signature: header and question only, TC set, so the client retries over TCP.
    len = q.question_end;
    out[2] |= dns::flag::kTc;
    std::memset(out + 6, 0, 6);
    info->truncated = true;
  }
  return sign_in_place(out, len, *v.key, {v.mac, v.mac_len}, now);
}

}  // namespace fodns::xfr
