#include "xfr/tsig.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cstring>

#include "common/base64.h"
#include "dns/wire.h"

namespace fodns::xfr {
namespace {

using dns::get16;
using dns::put16;

void append16(std::vector<uint8_t>& v, uint16_t x) {
  v.push_back(static_cast<uint8_t>(x >> 8));
  v.push_back(static_cast<uint8_t>(x));
}
void append48(std::vector<uint8_t>& v, uint64_t x) {
  for (int s = 40; s >= 0; s -= 8) v.push_back(static_cast<uint8_t>(x >> s));
}
uint64_t get48(const uint8_t* p) {
  uint64_t x = 0;
  for (int i = 0; i < 6; ++i) x = (x << 8) | p[i];
  return x;
}

// Reads a possibly compressed name at `pos` as lowercase wire; returns the offset
// after it in the message, or 0 if malformed.
size_t read_name(const uint8_t* msg, size_t len, size_t pos, dns::Bytes& out) {
  out.clear();
  size_t end = 0;
  for (int hops = 0; hops < 64;) {
    if (pos >= len) return 0;
    uint8_t l = msg[pos];
    if ((l & 0xC0) == 0xC0) {
      if (pos + 1 >= len) return 0;
      if (!end) end = pos + 2;
      pos = static_cast<size_t>(((l & 0x3F) << 8) | msg[pos + 1]);
      ++hops;
      continue;
    }
    if (l > 63 || pos + 1 + l > len || out.size() + 1 + l > dns::kMaxNameLen) return 0;
    out.push_back(l);
    for (size_t i = 1; i <= l; ++i) out.push_back(dns::ascii_lower(msg[pos + i]));
    pos += 1 + l;
    if (l == 0) return end ? end : pos;
  }
  return 0;
}

std::vector<uint8_t> hmac(const TsigKey& key, const std::vector<uint8_t>& data) {
  const EVP_MD* md = tsig_digest(key.algorithm);
  std::vector<uint8_t> out(EVP_MAX_MD_SIZE);
  unsigned int n = 0;
  HMAC(md, key.secret.data(), static_cast<int>(key.secret.size()), data.data(), data.size(),
       out.data(), &n);
  out.resize(n);
  return out;
}

// The TSIG variables of RFC 8945 §4.3.3 (or the timers only, §5.3.1).
void append_variables(std::vector<uint8_t>& d, const dns::Bytes& key_name,
                      const dns::Bytes& algorithm, uint64_t time_signed, uint16_t fudge,
                      uint16_t error, std::span<const uint8_t> other, bool timers_only) {
  if (!timers_only) {
    d.insert(d.end(), key_name.begin(), key_name.end());
    append16(d, 255);  // class ANY
    d.insert(d.end(), {0, 0, 0, 0});  // TTL
    d.insert(d.end(), algorithm.begin(), algorithm.end());
  }
  append48(d, time_signed);
  append16(d, fudge);
  if (!timers_only) {
    append16(d, error);
    append16(d, static_cast<uint16_t>(other.size()));
    d.insert(d.end(), other.begin(), other.end());
  }
}

void append_tsig_rr(std::vector<uint8_t>& msg, const dns::Bytes& key_name,
                    const dns::Bytes& algorithm, uint64_t time_signed, uint16_t fudge,
                    std::span<const uint8_t> mac, uint16_t original_id, uint16_t error,
                    std::span<const uint8_t> other) {
  msg.insert(msg.end(), key_name.begin(), key_name.end());
  append16(msg, dns::type::kTsig);
  append16(msg, 255);
  msg.insert(msg.end(), {0, 0, 0, 0});
  size_t rdlen = algorithm.size() + 6 + 2 + 2 + mac.size() + 2 + 2 + 2 + other.size();
  append16(msg, static_cast<uint16_t>(rdlen));
  msg.insert(msg.end(), algorithm.begin(), algorithm.end());
  append48(msg, time_signed);
  append16(msg, fudge);
  append16(msg, static_cast<uint16_t>(mac.size()));
  msg.insert(msg.end(), mac.begin(), mac.end());
  append16(msg, original_id);
  append16(msg, error);
  append16(msg, static_cast<uint16_t>(other.size()));
  msg.insert(msg.end(), other.begin(), other.end());
  put16(msg.data() + 10, static_cast<uint16_t>(get16(msg.data() + 10) + 1));
}

}  // namespace

const EVP_MD* tsig_digest(std::string_view algorithm) {
  if (algorithm == "hmac-sha256") return EVP_sha256();
  if (algorithm == "hmac-sha512") return EVP_sha512();
  if (algorithm == "hmac-sha384") return EVP_sha384();
  if (algorithm == "hmac-sha224") return EVP_sha224();
  if (algorithm == "hmac-sha1") return EVP_sha1();
  return nullptr;
}

std::optional<TsigKey> make_key(std::string_view name, std::string_view algorithm,
                                std::string_view secret_base64) {
  if (!tsig_digest(algorithm)) return std::nullopt;
  auto absolute = [](std::string_view n) {
    std::string s(n);
    if (s.empty() || s.back() != '.') s += '.';
    return s;
  };
  auto wire = dns::name_from_text(absolute(name));
  auto alg = dns::name_from_text(absolute(algorithm));
  if (!wire || !alg) return std::nullopt;
  auto secret = base64_decode(secret_base64);
  if (!secret || secret->empty()) return std::nullopt;
  TsigKey k;
  k.name = *wire;
  k.name_text = dns::name_to_text(k.name);
  k.algorithm = std::string(algorithm);
  k.algorithm_name = *alg;
  k.secret = std::move(*secret);
  return k;
}

TsigCheck verify(std::span<const uint8_t> msg, std::span<const TsigKey> keys, uint64_t now) {
  TsigCheck c;
  const uint8_t* m = msg.data();
  size_t len = msg.size();
  if (len < dns::kHeaderSize) {
    c.status = TsigStatus::FormErr;
    return c;
  }
  uint32_t counts[4] = {get16(m + 4), get16(m + 6), get16(m + 8), get16(m + 10)};
  size_t pos = dns::kHeaderSize;
  dns::Bytes name;
  for (uint32_t i = 0; i < counts[0]; ++i) {  // question
    pos = read_name(m, len, pos, name);
    if (!pos || pos + 4 > len) return c.status = TsigStatus::FormErr, c;
    pos += 4;
  }
  uint32_t rrs = counts[1] + counts[2] + counts[3];
  for (uint32_t i = 0; i < rrs; ++i) {
    size_t start = pos;
    pos = read_name(m, len, pos, name);
    if (!pos || pos + 10 > len) return c.status = TsigStatus::FormErr, c;
    uint16_t type = get16(m + pos);
    size_t rdlen = get16(m + pos + 8);
    size_t rdata = pos + 10;
    if (rdata + rdlen > len) return c.status = TsigStatus::FormErr, c;
    pos = rdata + rdlen;
    if (type != dns::type::kTsig) continue;
    // Only as the very last record (RFC 8945 §5.1).
    if (i != rrs - 1 || counts[3] == 0 || pos != len) return c.status = TsigStatus::FormErr, c;
    c.key_name = name;
    size_t p = read_name(m, rdata + rdlen, rdata, c.algorithm_name);
    if (!p || p + 10 > rdata + rdlen) return c.status = TsigStatus::FormErr, c;
    c.time_signed = get48(m + p);
    uint16_t fudge = get16(m + p + 6);
    size_t mac_len = get16(m + p + 8);
    p += 10;
    if (p + mac_len + 6 > rdata + rdlen) return c.status = TsigStatus::FormErr, c;
    c.mac.assign(m + p, m + p + mac_len);
    p += mac_len;
    uint16_t original_id = get16(m + p);
    uint16_t error = get16(m + p + 2);
    size_t other_len = get16(m + p + 4);
    p += 6;
    if (p + other_len != rdata + rdlen) return c.status = TsigStatus::FormErr, c;
    std::span<const uint8_t> other(m + p, other_len);
    c.unsigned_len = start;

    for (const auto& k : keys)
      if (k.name == c.key_name) c.key = &k;
    if (!c.key || c.key->algorithm_name != c.algorithm_name) {
      c.key = nullptr;
      return c.status = TsigStatus::BadKey, c;
    }
    // Digest: the message without the TSIG RR, with the original ID, then the variables.
    std::vector<uint8_t> d(m, m + start);
    put16(d.data(), original_id);
    put16(d.data() + 10, static_cast<uint16_t>(counts[3] - 1));
    append_variables(d, c.key_name, c.algorithm_name, c.time_signed, fudge, error, other, false);
    std::vector<uint8_t> expect = hmac(*c.key, d);
    // Truncated MACs (RFC 8945 §5.2.2.1) are not accepted: we always send full ones.
    if (c.mac.size() != expect.size() ||
        CRYPTO_memcmp(c.mac.data(), expect.data(), expect.size()) != 0)
      return c.status = TsigStatus::BadSig, c;
    uint64_t skew = now > c.time_signed ? now - c.time_signed : c.time_signed - now;
    if (skew > fudge) return c.status = TsigStatus::BadTime, c;
    return c.status = TsigStatus::Ok, c;
  }
  if (pos != len) c.status = TsigStatus::FormErr;
  return c;
}

void sign(std::vector<uint8_t>& msg, const TsigKey& key, SignState& state, uint64_t now,
          uint16_t error, std::span<const uint8_t> other) {
  std::vector<uint8_t> d;
  d.reserve(msg.size() + 128);
  if (!state.request) {
    append16(d, static_cast<uint16_t>(state.prior_mac.size()));
    d.insert(d.end(), state.prior_mac.begin(), state.prior_mac.end());
  }
  d.insert(d.end(), msg.begin(), msg.end());
  append_variables(d, key.name, key.algorithm_name, now, kFudge, error, other, !state.first);
  std::vector<uint8_t> mac = hmac(key, d);
  append_tsig_rr(msg, key.name, key.algorithm_name, now, kFudge, mac, get16(msg.data()), error, other);
  state.prior_mac = std::move(mac);
  state.first = false;
  state.request = false;
}

void append_error_tsig(std::vector<uint8_t>& msg, const TsigCheck& check, uint64_t now, uint16_t error) {
  msg[3] = static_cast<uint8_t>((msg[3] & 0xF0) | kRcodeNotAuth);
  append_tsig_rr(msg, check.key_name, check.algorithm_name, now, kFudge, {}, get16(msg.data()),
                 error, {});
}

}  // namespace fodns::xfr
