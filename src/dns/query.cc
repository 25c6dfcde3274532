#include "dns/query.h"

#include "dns/cookie.h"
#include "dns/wire.h"

namespace fodns::dns {

// Validates a possibly compressed name at `pos` and returns the offset after it
// (after the first pointer, if any), or 0 if malformed. Pointers must point
// strictly backward, which rules out loops (RFC 9267 §2-3).
size_t skip_name(const uint8_t* msg, size_t len, size_t pos) {
  size_t end = 0;      // where parsing continues in the message
  size_t total = 0;    // uncompressed length so far
  size_t floor = pos;  // every pointer must target below this
  for (int hops = 0; hops < 128;) {
    if (pos >= len) return 0;
    uint8_t l = msg[pos];
    if (l == 0) {
      if (++total > kMaxNameLen) return 0;
      return end ? end : pos + 1;
    }
    if ((l & 0xC0) == 0xC0) {
      if (pos + 1 >= len) return 0;
      size_t target = static_cast<size_t>(((l & 0x3F) << 8) | msg[pos + 1]);
      if (target >= floor) return 0;
      if (!end) end = pos + 2;
      floor = target;
      pos = target;
      ++hops;
      continue;
    }
    if (l > 63) return 0;  // 0x40/0x80: extended label types, obsolete (RFC 6891 §5)
    total += 1 + l;
    if (total > kMaxNameLen) return 0;
    pos += 1 + l;
  }
  return 0;
}

namespace {

// Parses one RR header after its owner; returns the offset after its rdata or 0.
size_t skip_rr(const uint8_t* msg, size_t len, size_t pos, uint16_t* type, size_t* owner_len,
               size_t* rr_start) {
  *rr_start = pos;
  size_t after = skip_name(msg, len, pos);
  if (!after || after + 10 > len) return 0;
  *owner_len = after - pos;
  *type = get16(msg + after);
  size_t rdlen = get16(msg + after + 8);
  if (after + 10 + rdlen > len) return 0;
  return after + 10 + rdlen;
}

ParseResult fail(Query& q, ParseResult r, Malformed why) {
  q.why = why;
  return r;
}

}  // namespace

namespace {
// Everything after the header's first checks: counts, question, other sections.
ParseResult parse_sections(const uint8_t* msg, size_t len, Query& q);
}  // namespace

ParseResult parse_query(const uint8_t* msg, size_t len, Query& q) {
  q.msg = msg;
  q.len = len;
  q.has_edns = false;
  q.has_tsig = false;
  q.tsig_offset = 0;
  q.cookie_off = 0;
  q.cookie_len = 0;
  q.opt_reserve = 0;
  q.question_ok = false;
  q.why = Malformed::None;
  if (len < kHeaderSize) return fail(q, ParseResult::Drop, Malformed::ShortHeader);
  q.id = get16(msg);
  if (msg[2] & flag::kQr) return fail(q, ParseResult::Drop, Malformed::IsResponse);
  q.opcode = (msg[2] >> 3) & 0x0F;
  ParseResult r = parse_sections(msg, len, q);
  // An OPT that parsed is echoed even in FORMERR and NOTIMP replies (RFC 6891 §7);
  // a broken or repeated one is not an OPT we understood.
  if (q.why == Malformed::BadOpt || q.why == Malformed::MultipleOpt) q.has_edns = false;
  if (q.opcode != 0) {
    // The NOTIMP reply echoes the question when it parses.
    q.question_ok = r == ParseResult::Ok;
    q.why = Malformed::None;
    return ParseResult::NotImp;
  }
  if (r == ParseResult::Ok) q.question_ok = true;
  return r;
}

namespace {
ParseResult parse_sections(const uint8_t* msg, size_t len, Query& q) {
  uint16_t qd = get16(msg + 4), an = get16(msg + 6), ns = get16(msg + 8), ar = get16(msg + 10);
  if (qd != 1) return fail(q, ParseResult::FormErr, Malformed::QdCount);

  // Question name: no compression possible (nothing precedes it but the header).
  size_t pos = kHeaderSize;
  size_t nlen = 0;
  uint8_t labels = 0;
  for (;;) {
    if (pos >= len) return fail(q, ParseResult::FormErr, Malformed::Truncated);
    uint8_t l = msg[pos];
    if (l > 63) return fail(q, ParseResult::FormErr, Malformed::BadName);
    if (nlen + 1 + l > kMaxNameLen) return fail(q, ParseResult::FormErr, Malformed::BadName);
    if (pos + 1 + l > len) return fail(q, ParseResult::FormErr, Malformed::Truncated);
    if (l == 0) {
      q.qname_lower[nlen++] = 0;
      ++pos;
      break;
    }
    q.label_off[labels++] = static_cast<uint8_t>(nlen);
    q.qname_lower[nlen] = l;
    for (size_t i = 1; i <= l; ++i) q.qname_lower[nlen + i] = ascii_lower(msg[pos + i]);
    nlen += 1 + l;
    pos += 1 + l;
  }
  q.qname_len = nlen;
  q.label_count = labels;
  if (pos + 4 > len) return fail(q, ParseResult::FormErr, Malformed::Truncated);
  q.qtype = get16(msg + pos);
  q.qclass = get16(msg + pos + 2);
  pos += 4;
  q.question_end = pos;

  // Answer and authority sections are skipped but must be well-formed.
  uint32_t other = uint32_t{an} + ns;
  for (uint32_t i = 0; i < other + ar; ++i) {
    uint16_t type = 0;
    size_t owner_len = 0, start = 0;
    size_t next = skip_rr(msg, len, pos, &type, &owner_len, &start);
    if (!next) return fail(q, ParseResult::FormErr, Malformed::Truncated);
    if (type == type::kTsig) {
      // Only one, and only as the last record of the additional section (RFC 8945 §5.1).
      bool last = i + 1 == other + ar && i >= other;
      q.tsig_offset = !q.has_tsig && last ? static_cast<uint16_t>(start) : 0;
      q.has_tsig = true;
    }
    if (type == type::kOpt) {
      // OPT: only in the additional section, once, owned by the root (RFC 6891 §6.1.1).
      if (i < other || owner_len != 1 || msg[start] != 0)
        return fail(q, ParseResult::FormErr, Malformed::BadOpt);
      if (q.has_edns) return fail(q, ParseResult::FormErr, Malformed::MultipleOpt);
      const uint8_t* h = msg + start + 1;
      q.has_edns = true;
      q.edns_payload = get16(h + 2);
      q.edns_version = h[5];
      q.edns_do = (h[6] & 0x80) != 0;
      // Options must be well-formed TLVs; unknown ones are ignored.
      size_t o = start + 11, end = next;
      while (o < end) {
        if (o + 4 > end) return fail(q, ParseResult::FormErr, Malformed::BadOpt);
        size_t olen = get16(msg + o + 2);
        if (o + 4 + olen > end) return fail(q, ParseResult::FormErr, Malformed::BadOpt);
        if (get16(msg + o) == kOptionCookie) {
          // A second COOKIE option or a bad length is a malformed option: FORMERR (RFC 7873 §5.2.2).
          if (q.cookie_len || !cookie_length_ok(olen))
            return fail(q, ParseResult::FormErr, Malformed::BadOpt);
          q.cookie_off = static_cast<uint16_t>(o + 4);
          q.cookie_len = static_cast<uint8_t>(olen);
        }
        o += 4 + olen;
      }
    }
    pos = next;
  }
  if (pos != len) return fail(q, ParseResult::FormErr, Malformed::Trailing);
  return ParseResult::Ok;
}

}  // namespace

}  // namespace fodns::dns
