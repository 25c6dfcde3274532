#include "zone/body_writer.h"

#include <cstring>

#include "dns/wire.h"

namespace fodns::zone {
namespace {
// Pointers may move by up to 255 - 2 bytes at answer time (a longer qname than
// the template); keep every target low enough that it still fits 14 bits.
constexpr size_t kMaxPointerTarget = 0x3FFF - 256;
}  // namespace

void BodyWriter::reset(const dns::Bytes& template_qname, Relocation relocation) {
  template_ = &template_qname;
  relocation_ = relocation;
  base_ = dns::kHeaderSize + template_qname.size() + 4;
  body_.clear();
  fixups_.clear();
  dict_.clear();
  lower_.assign(template_qname.begin(), template_qname.end());
  dns::name_lower(lower_.data(), lower_.size());
  // Every suffix of the question name can be pointed at. In a wildcard answer
  // the full template ("*.x") stands for the qname, so only owners may use it.
  size_t pos = 0;
  while (pos < template_qname.size() - 1) {
    if (pos > 0 || relocation_ == Relocation::Suffix) {
      dict_.push_back({static_cast<uint32_t>(pos), static_cast<uint16_t>(template_qname.size() - pos),
                       static_cast<uint16_t>(dns::kHeaderSize + pos)});
    }
    pos += 1 + template_qname[pos];
  }
}

void BodyWriter::write_name(const uint8_t* name, size_t len, bool compress) {
  size_t start = lower_.size();
  lower_.insert(lower_.end(), name, name + len);
  dns::name_lower(lower_.data() + start, len);
  const uint8_t* lower = lower_.data() + start;
  size_t pos = 0;
  while (pos < len - 1) {
    if (compress) {
      for (const Suffix& s : dict_) {
        if (s.len == len - pos && std::memcmp(lower_.data() + s.start, lower + pos, len - pos) == 0) {
          fixups_.push_back(static_cast<uint16_t>(body_.size()));
          body_.push_back(static_cast<uint8_t>(0xC0 | (s.offset >> 8)));
          body_.push_back(static_cast<uint8_t>(s.offset & 0xFF));
          return;
        }
      }
    }
    size_t abs = base_ + body_.size();
    if (abs <= kMaxPointerTarget) {
      dict_.push_back({static_cast<uint32_t>(start + pos), static_cast<uint16_t>(len - pos),
                       static_cast<uint16_t>(abs)});
    }
    body_.insert(body_.end(), name + pos, name + pos + 1 + name[pos]);
    pos += 1 + name[pos];
  }
  body_.push_back(0);
}

void BodyWriter::write_rdata(uint16_t type, const dns::Bytes& rdata) {
  // RFC 3597 §4: only the RFC 1035 types may have compressed rdata names.
  const uint8_t* p = rdata.data();
  size_t n = rdata.size();
  auto name_at = [&](size_t off) { return off < n ? dns::name_length(p + off, n - off) : 0; };
  switch (type) {
    case dns::type::kNs:
    case dns::type::kCname:
    case dns::type::kPtr: {
      size_t l = name_at(0);
      if (l > 0 && l == n) return write_name(p, l, true);
      break;
    }
    case dns::type::kMx: {
      size_t l = name_at(2);
      if (n >= 3 && l > 0 && l == n - 2) {
        body_.insert(body_.end(), p, p + 2);
        return write_name(p + 2, l, true);
      }
      break;
    }
    case dns::type::kSoa: {
      size_t a = name_at(0);
      size_t b = a ? name_at(a) : 0;
      if (a && b && a + b + 20 == n) {
        write_name(p, a, true);
        write_name(p + a, b, true);
        body_.insert(body_.end(), p + a + b, p + n);
        return;
      }
      break;
    }
    default:
      break;
  }
  body_.insert(body_.end(), p, p + n);
}

uint16_t BodyWriter::add_rrset(const dns::Bytes& owner, const RRset& set) {
  uint16_t count = 0;
  for (const dns::Rr* rr : set.rrs) {
    if (owner == *template_) {
      // The qname itself: always a pointer to the question.
      fixups_.push_back(static_cast<uint16_t>(body_.size()));
      body_.push_back(0xC0);
      body_.push_back(static_cast<uint8_t>(dns::kHeaderSize));
    } else {
      write_name(owner.data(), owner.size(), true);
    }
    uint8_t fixed[10];
    dns::put16(fixed, set.type);
    dns::put16(fixed + 2, dns::kClassIn);
    dns::put32(fixed + 4, set.ttl);
    body_.insert(body_.end(), fixed, fixed + 10);
    size_t rdlen_pos = body_.size() - 2;
    write_rdata(set.type, rr->rdata);
    dns::put16(body_.data() + rdlen_pos, static_cast<uint16_t>(body_.size() - rdlen_pos - 2));
    ++count;
  }
  return count;
}

}  // namespace fodns::zone
