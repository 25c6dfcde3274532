#include "xfr/signed_query.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "dns/wire.h"
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

}  // namespace

size_t respond_signed(const dns::Query& q, const zone::ZoneSnapshot* snap, bool tcp, uint8_t* out,
                      zone::ResponseInfo* info, uint64_t now) {
  *info = zone::ResponseInfo{};
  const TransferTable* table = transfer_table(snap);
  std::span<const TsigKey> keys;
  if (table) keys = table->keys;
  TsigCheck c = verify({q.msg, q.len}, keys, now);
  if (c.status != TsigStatus::Ok) {  // Unsigned cannot happen: the parser saw a TSIG RR (FORMERR then)
    auto m = error_reply(q);
    make_tsig_error_reply(m, c, now);
    return emit(m, out, info);
  }
  // The responder sees the query without its TSIG RR, so it never counts it as data.
  dns::Query plain = q;
  std::vector<uint8_t> unsigned_msg(q.msg, q.msg + c.unsigned_len);
  dns::put16(unsigned_msg.data() + 10, static_cast<uint16_t>(dns::get16(q.msg + 10) - 1));
  plain.msg = unsigned_msg.data();
  plain.len = unsigned_msg.size();
  size_t len = zone::respond(plain, dns::ParseResult::Ok, snap, tcp, out, info);
  if (len == 0) return 0;
  std::vector<uint8_t> m(out, out + len);
  size_t limit = tcp ? dns::kMaxMessage
                     : std::clamp<size_t>(q.has_edns ? q.edns_payload : dns::kMinUdpPayload,
                                          dns::kMinUdpPayload, zone::kUdpPayloadLimit);
  size_t tsig_room = c.key->name.size() + 10 + c.key->algorithm_name.size() + 16 + 64;
  if (m.size() + tsig_room > limit) {
    // No room for the signature: header and question only, TC set, so the client retries over TCP.
    m.resize(q.question_end);
    m[2] |= dns::flag::kTc;
    std::memset(m.data() + 6, 0, 6);
    info->truncated = true;
  }
  SignState st;
  st.prior_mac = c.mac;
  sign(m, *c.key, st, now);
  std::memcpy(out, m.data(), m.size());
  return m.size();
}

}  // namespace fodns::xfr
