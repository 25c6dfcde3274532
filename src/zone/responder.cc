#include "zone/responder.h"

#include <algorithm>
#include <cstring>

#include "dns/wire.h"

namespace fodns::zone {
namespace {

using dns::put16;

}  // namespace

size_t write_opt(const dns::Query& q, uint8_t* p, uint8_t ext_rcode) {
  p[0] = 0;  // root owner
  put16(p + 1, dns::type::kOpt);
  put16(p + 3, kUdpPayloadLimit);
  p[5] = ext_rcode;
  p[6] = 0;  // version 0
  p[7] = q.edns_do ? 0x80 : 0;  // DO is echoed (RFC 3225 §3)
  p[8] = 0;
  put16(p + 9, 0);
  return dns::kOptRrSize;
}

namespace {

// Header only, plus the OPT when the query's OPT parsed (RFC 6891 §7).
size_t error_header(const dns::Query& q, uint8_t rcode, uint8_t* out, ResponseInfo* info) {
  put16(out, q.id);
  out[2] = static_cast<uint8_t>(dns::flag::kQr | (q.opcode << 3) | (q.msg[2] & dns::flag::kRd));
  out[3] = rcode;
  std::memset(out + 4, 0, 8);
  info->rcode = rcode;
  info->answered = true;
  if (!q.has_edns) return dns::kHeaderSize;
  put16(out + 10, 1);
  return dns::kHeaderSize + write_opt(q, out + dns::kHeaderSize, 0);
}

// Header + the question exactly as the client sent it (its case included).
size_t header_and_question(const dns::Query& q, uint8_t rcode, bool aa, uint8_t* out) {
  put16(out, q.id);
  out[2] = static_cast<uint8_t>(dns::flag::kQr | (q.opcode << 3) | (aa ? dns::flag::kAa : 0) |
                                (q.msg[2] & dns::flag::kRd));
  out[3] = static_cast<uint8_t>((q.msg[3] & dns::flag::kCd) | (rcode & 0x0F));
  put16(out + 4, 1);
  std::memset(out + 6, 0, 6);
  size_t qlen = q.question_end - dns::kHeaderSize;
  std::memcpy(out + dns::kHeaderSize, q.msg + dns::kHeaderSize, qlen);
  return q.question_end;
}

size_t simple_answer(const dns::Query& q, uint8_t rcode, uint8_t ext, uint8_t* out,
                     ResponseInfo* info) {
  size_t len = header_and_question(q, rcode, false, out);
  if (q.has_edns) {
    len += write_opt(q, out + len, ext);
    put16(out + 10, 1);
  }
  info->rcode = static_cast<uint16_t>((ext << 4) | rcode);
  info->answered = true;
  return len;
}

}  // namespace

size_t udp_reply_limit(const dns::Query& q) {
  return q.has_edns ? std::clamp<size_t>(q.edns_payload, dns::kMinUdpPayload, kUdpPayloadLimit)
                    : dns::kMinUdpPayload;
}

size_t respond(const dns::Query& q, dns::ParseResult parsed, const ZoneSnapshot* snap, bool tcp,
               uint8_t* out, ResponseInfo* info) {
  *info = ResponseInfo{};
  switch (parsed) {
    case dns::ParseResult::Drop: return 0;
    case dns::ParseResult::FormErr: return error_header(q, dns::rcode::kFormErr, out, info);
    case dns::ParseResult::NotImp:
      if (!q.question_ok) return error_header(q, dns::rcode::kNotImp, out, info);
      return simple_answer(q, dns::rcode::kNotImp, 0, out, info);
    case dns::ParseResult::Ok: break;
  }
  if (q.has_edns && q.edns_version > 0) return simple_answer(q, 0, 1, out, info);  // BADVERS
  if (q.qclass != dns::kClassIn) return simple_answer(q, dns::rcode::kRefused, 0, out, info);
  // Zone transfers are refused until transfer ACLs exist; never over UDP (RFC 5936 §4.2).
  if (q.qtype == dns::type::kAxfr || q.qtype == dns::type::kIxfr)
    return simple_answer(q, dns::rcode::kRefused, 0, out, info);
  if (!snap) return simple_answer(q, dns::rcode::kServFail, 0, out, info);

  const CompiledZone* ov = nullptr;  // the zone's overlay: answers of nodes that follow health
  const CompiledZone* zp = snap->find_zone(q.qname_lower, q.qname_len, q.label_off, q.label_count, &ov);
  if (!zp) return simple_answer(q, dns::rcode::kRefused, 0, out, info);
  const CompiledZone& zone = *zp;
  const CompiledZone* az = zp;  // the compiled zone whose arrays hold `ans`
  // A node flagged in_overlay is answered by its twin (same name) in the overlay.
  auto twin = [&](uint32_t i) {
    uint32_t t = ov->find_node(zone.node_name(i), zone.node(i).name_len);
    if (t != kNoAnswer) az = ov;  // always found: the overlay holds every flagged name
    return t != kNoAnswer ? t : i;
  };

  uint32_t ans;
  ResponseClass rclass = ResponseClass::Positive;
  size_t key_off = 0;
  uint32_t answered = kNoAnswer;  // the base node whose own answer `ans` is
  uint32_t n = zone.find_node(q.qname_lower, q.qname_len);
  if (n != kNoAnswer) {
    answered = n;
    if (ov && zone.node(n).in_overlay) n = twin(n);
    const Node& node = az->node(n);
    // The parent side answers DS at a cut (RFC 4035 §3.1.4.1); everything else at or below it is a referral.
    if (node.referral != kNoAnswer && !(node.is_cut && q.qtype == dns::type::kDs)) {
      ans = node.referral;
      rclass = ResponseClass::Referral;
    } else if (q.qtype == dns::type::kAny) {
      ans = node.any_answer;
    } else {
      ans = az->answer_for(n, q.qtype);
    }
  } else {
    // Closest encloser (RFC 4592 §3.3.1): strip labels until a name exists;
    // the apex always does.
    uint32_t e = kNoAnswer;
    size_t apex_off = q.qname_len - zone.apex().size();
    key_off = apex_off;
    for (int i = 1; i < q.label_count && e == kNoAnswer; ++i) {
      size_t off = q.label_off[i];
      if (q.qname_len - off < zone.apex().size()) break;
      e = zone.find_node(q.qname_lower + off, q.qname_len - off);
      if (e != kNoAnswer) key_off = off;
    }
    if (e == kNoAnswer) e = zone.apex_node();
    const Node& enc = zone.node(e);
    if (enc.referral != kNoAnswer) {
      if (ov && enc.in_overlay) e = twin(e);
      ans = az->node(e).referral;
      rclass = ResponseClass::Referral;
    } else if (enc.wildcard_child != kNoAnswer) {
      uint32_t w = answered = enc.wildcard_child;
      if (ov && zone.node(w).in_overlay) w = twin(w);
      ans = q.qtype == dns::type::kAny ? az->node(w).any_answer : az->answer_for(w, q.qtype);
      rclass = ResponseClass::Wildcard;
    } else {
      ans = zone.nxdomain();
      rclass = ResponseClass::NxDomain;
      key_off = apex_off;  // NXDOMAIN is accounted per zone: random names share one bucket
    }
  }
  // Answers with the SOA carry the serial, which moves with health: the overlay's are current.
  if (ov && az == zp && zone.answer(ans).carries_soa) {
    if (ans == zone.nodata() || ans == zone.nxdomain()) {
      ans = ans == zone.nodata() ? ov->nodata() : ov->nxdomain();
      az = ov;
    } else if (answered != kNoAnswer) {  // the apex's SOA (or ANY): the overlay keeps the SOA
      uint32_t t = twin(answered);
      if (az == ov) ans = q.qtype == dns::type::kAny ? ov->node(t).any_answer : ov->answer_for(t, q.qtype);
    }
  }

  const CompiledAnswer& a = az->answer(ans);
  if (a.rcode == dns::rcode::kNxDomain) {  // e.g. a CNAME whose target does not exist
    rclass = ResponseClass::NxDomain;
    key_off = q.qname_len - zone.apex().size();
  } else if (rclass == ResponseClass::Positive && a.an == 0) {
    rclass = ResponseClass::NoData;
  }
  size_t limit = tcp ? dns::kMaxMessage : udp_reply_limit(q);
  size_t len = header_and_question(q, a.rcode, a.aa, out);
  size_t opt = q.has_edns ? dns::kOptRrSize + q.opt_reserve : 0;  // room for a COOKIE option
  size_t room = limit > len + opt ? limit - len - opt : 0;

  // Whole additional RRsets are left out to fit (RFC 2181 §9: not a reason for TC);
  // if the answer and authority do not fit, send TC and no records at all.
  uint32_t body_len = a.body_len;
  uint16_t ar = a.ar;
  if (body_len > room) {
    if (a.required_len > room) {
      out[2] |= dns::flag::kTc;
      info->truncated = true;
      body_len = 0;
    } else {
      body_len = a.required_len;
      ar = 0;
      const AddlCut* cuts = az->addl_cuts() + a.addl_off;
      for (uint16_t i = 0; i < a.addl_count && cuts[i].end <= room; ++i) {
        body_len = cuts[i].end;
        ar = cuts[i].count;
      }
    }
  }
  if (body_len > 0) {
    uint8_t* body = out + len;
    std::memcpy(body, az->bytes() + a.body_off, body_len);
    size_t delta = q.qname_len - a.template_len;
    if (delta != 0) {
      const uint16_t* f = az->fixups() + a.fixup_off;
      for (uint16_t i = 0; i < a.fixup_count && f[i] < body_len; ++i) {
        uint8_t* p = body + f[i];
        uint16_t target = static_cast<uint16_t>(((p[0] & 0x3F) << 8) | p[1]);
        if (a.relocation == Relocation::Wildcard && target == dns::kHeaderSize) continue;
        target = static_cast<uint16_t>(target + delta);
        p[0] = static_cast<uint8_t>(0xC0 | (target >> 8));
        p[1] = static_cast<uint8_t>(target);
      }
    }
    put16(out + 6, a.an);
    put16(out + 8, a.ns);
    put16(out + 10, ar);
    len += body_len;
  }
  if (q.has_edns) {
    len += write_opt(q, out + len, 0);
    put16(out + 10, static_cast<uint16_t>(ar * (body_len > 0) + 1));
  }
  info->rcode = a.rcode;
  info->answered = true;
  info->rclass = rclass;
  info->key_off = static_cast<uint8_t>(key_off);
  return len;
}

}  // namespace fodns::zone
