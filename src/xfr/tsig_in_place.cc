#include "xfr/tsig_in_place.h"

#include <openssl/evp.h>

#include <cstring>

#include "dns/wire.h"

namespace fodns::xfr {
namespace {

using dns::get16;
using dns::put16;

// HMAC (RFC 2104) on two digest contexts made once per thread: after the first
// signed query, EVP_DigestInit_ex reuses them.
class Hmac {
 public:
  bool init(const EVP_MD* md, std::span<const uint8_t> secret) {
    State& s = state();
    if (!md || !s.inner || !s.outer) return false;
    size_t block = static_cast<size_t>(EVP_MD_get_block_size(md));
    uint8_t k[kMaxBlock] = {};
    if (block > kMaxBlock) return false;
    if (secret.size() > block) {  // long keys are hashed first (rare: allocates once)
      unsigned n = 0;
      if (EVP_Digest(secret.data(), secret.size(), k, &n, md, nullptr) != 1) return false;
    } else {
      std::memcpy(k, secret.data(), secret.size());
    }
    uint8_t pad[kMaxBlock];
    for (size_t i = 0; i < block; ++i) pad[i] = k[i] ^ 0x36;
    if (EVP_DigestInit_ex(s.inner, md, nullptr) != 1 || EVP_DigestUpdate(s.inner, pad, block) != 1)
      return false;
    for (size_t i = 0; i < block; ++i) pad[i] = k[i] ^ 0x5c;
    return EVP_DigestInit_ex(s.outer, md, nullptr) == 1 && EVP_DigestUpdate(s.outer, pad, block) == 1;
  }
  void update(const uint8_t* p, size_t n) { EVP_DigestUpdate(state().inner, p, n); }
  void update16(uint16_t v) {
    uint8_t b[2];
    put16(b, v);
    update(b, 2);
  }
  /// Writes the MAC to `out` (EVP_MAX_MD_SIZE bytes); returns its length, 0 on failure.
  size_t final(uint8_t* out) {
    State& s = state();
    uint8_t inner[EVP_MAX_MD_SIZE];
    unsigned n = 0, m = 0;
    if (EVP_DigestFinal_ex(s.inner, inner, &n) != 1) return 0;
    if (EVP_DigestUpdate(s.outer, inner, n) != 1 || EVP_DigestFinal_ex(s.outer, out, &m) != 1) return 0;
    return m;
  }

 private:
  static constexpr size_t kMaxBlock = 128;  // SHA-384/512
  struct State {
    EVP_MD_CTX* inner = EVP_MD_CTX_new();
    EVP_MD_CTX* outer = EVP_MD_CTX_new();
    ~State() {
      EVP_MD_CTX_free(inner);
      EVP_MD_CTX_free(outer);
    }
  };
  static State& state() {
    thread_local State s;
    return s;
  }
};

// Whether the name at `pos` (compression allowed, any case) equals `wire`
// (lowercase, uncompressed); `*end` is the offset after it in the message.
bool name_equals(const uint8_t* msg, size_t len, size_t pos, const dns::Bytes& wire, size_t* end) {
  size_t w = 0;
  *end = 0;
  for (int hops = 0; hops < 64;) {
    if (pos >= len) return false;
    uint8_t l = msg[pos];
    if ((l & 0xC0) == 0xC0) {
      if (pos + 1 >= len) return false;
      if (!*end) *end = pos + 2;
      pos = static_cast<size_t>(((l & 0x3F) << 8) | msg[pos + 1]);
      ++hops;
      continue;
    }
    if (l > 63 || pos + 1 + l > len || w + 1 + l > wire.size() || wire[w] != l) return false;
    for (size_t i = 1; i <= l; ++i)
      if (dns::ascii_lower(msg[pos + i]) != wire[w + i]) return false;
    w += 1 + l;
    pos += 1 + l;
    if (l == 0) {
      if (!*end) *end = pos;
      return w == wire.size();
    }
  }
  return false;
}

// The provider's implementation of a key's digest, fetched once per algorithm: a
// legacy EVP_sha256() makes OpenSSL 3 fetch it again (and allocate) on every init.
const EVP_MD* fetched_digest(const TsigKey& key) {
  static const struct Fetched {
    const EVP_MD* md[5];
    Fetched()
        : md{EVP_MD_fetch(nullptr, "SHA256", nullptr), EVP_MD_fetch(nullptr, "SHA512", nullptr),
             EVP_MD_fetch(nullptr, "SHA384", nullptr), EVP_MD_fetch(nullptr, "SHA224", nullptr),
             EVP_MD_fetch(nullptr, "SHA1", nullptr)} {}
  } fetched;
  static constexpr const char* kNames[5] = {"hmac-sha256", "hmac-sha512", "hmac-sha384",
                                            "hmac-sha224", "hmac-sha1"};
  for (int i = 0; i < 5; ++i)
    if (key.algorithm == kNames[i] && fetched.md[i]) return fetched.md[i];
  return tsig_digest(key.algorithm);
}

}  // namespace

TsigVerified verify_in_place(const dns::Query& q, std::span<const TsigKey> keys, uint64_t now) {
  TsigVerified v;
  const uint8_t* m = q.msg;
  size_t start = q.tsig_offset, len = q.len;
  if (start < q.question_end || start >= len) return v;  // not the last RR of the additional section
  // Which key: the owner names it, the algorithm must be the key's.
  const TsigKey* key = nullptr;
  size_t after_owner = 0;
  for (const auto& k : keys) {
    if (name_equals(m, len, start, k.name, &after_owner)) {
      key = &k;
      break;
    }
  }
  if (!key) return v.status = TsigStatus::BadKey, v;
  if (after_owner + 10 > len) return v;
  size_t rdata = after_owner + 10, rdlen = get16(m + after_owner + 8);
  if (get16(m + after_owner) != dns::type::kTsig || rdata + rdlen != len) return v;
  size_t p = 0;
  if (!name_equals(m, len, rdata, key->algorithm_name, &p)) return v.status = TsigStatus::BadKey, v;
  if (p + 10 > len) return v;
  const uint8_t* timers = m + p;  // time signed (6) and fudge (2)
  size_t mac_len = get16(m + p + 8);
  const uint8_t* mac = m + p + 10;
  p += 10 + mac_len;
  if (p + 6 > len) return v;
  uint16_t original_id = get16(m + p);
  const uint8_t* error_and_other = m + p + 2;  // error (2), other length (2), other data
  size_t other_len = get16(m + p + 4);
  if (p + 6 + other_len != len) return v;

  // The digest (RFC 8945 §4.3.3): the message without the TSIG RR, with the original
  // ID and ARCOUNT less one, then the TSIG variables in canonical form.
  Hmac h;
  if (!h.init(fetched_digest(*key), key->secret)) return v;
  h.update16(original_id);
  h.update(m + 2, 8);
  h.update16(static_cast<uint16_t>(get16(m + 10) - 1));
  h.update(m + dns::kHeaderSize, start - dns::kHeaderSize);
  h.update(key->name.data(), key->name.size());
  const uint8_t class_any_ttl0[6] = {0, 255, 0, 0, 0, 0};
  h.update(class_any_ttl0, sizeof class_any_ttl0);
  h.update(key->algorithm_name.data(), key->algorithm_name.size());
  h.update(timers, 8);
  h.update(error_and_other, 4 + other_len);
  uint8_t expect[EVP_MAX_MD_SIZE];
  size_t n = h.final(expect);
  v.key = key;
  v.mac = mac;
  v.mac_len = mac_len;
  // Truncated MACs (RFC 8945 §5.2.2.1) are not accepted: we always send full ones.
  if (n == 0 || mac_len != n || CRYPTO_memcmp(mac, expect, n) != 0)
    return v.status = TsigStatus::BadSig, v;
  uint64_t signed_at = 0;
  for (int i = 0; i < 6; ++i) signed_at = (signed_at << 8) | timers[i];
  uint16_t fudge = get16(timers + 6);
  uint64_t skew = now > signed_at ? now - signed_at : signed_at - now;
  if (skew > fudge) return v.status = TsigStatus::BadTime, v;
  return v.status = TsigStatus::Ok, v;
}

size_t tsig_rr_size(const TsigKey& key) {
  size_t mac = static_cast<size_t>(EVP_MD_get_size(tsig_digest(key.algorithm)));
  return key.name.size() + 10 + key.algorithm_name.size() + 6 + 2 + 2 + mac + 2 + 2 + 2;
}

size_t sign_in_place(uint8_t* msg, size_t len, const TsigKey& key,
                     std::span<const uint8_t> request_mac, uint64_t now) {
  uint8_t timers[8];
  for (int i = 0; i < 6; ++i) timers[i] = static_cast<uint8_t>(now >> (40 - 8 * i));
  put16(timers + 6, kFudge);
  const uint8_t no_error_no_other[4] = {0, 0, 0, 0};
  const uint8_t class_any_ttl0[6] = {0, 255, 0, 0, 0, 0};
  // The digest of a reply (RFC 8945 §5.3): the request MAC, the reply, the variables.
  Hmac h;
  if (!h.init(fetched_digest(key), key.secret)) return len;
  h.update16(static_cast<uint16_t>(request_mac.size()));
  h.update(request_mac.data(), request_mac.size());
  h.update(msg, len);
  h.update(key.name.data(), key.name.size());
  h.update(class_any_ttl0, sizeof class_any_ttl0);
  h.update(key.algorithm_name.data(), key.algorithm_name.size());
  h.update(timers, sizeof timers);
  h.update(no_error_no_other, sizeof no_error_no_other);
  uint8_t mac[EVP_MAX_MD_SIZE];
  size_t mac_len = h.final(mac);
  if (mac_len == 0) return len;

  uint8_t* p = msg + len;
  auto put = [&p](const void* src, size_t n) {
    std::memcpy(p, src, n);
    p += n;
  };
  put(key.name.data(), key.name.size());
  uint8_t rr_head[10];
  put16(rr_head, dns::type::kTsig);
  std::memcpy(rr_head + 2, class_any_ttl0, 6);
  put16(rr_head + 8, static_cast<uint16_t>(key.algorithm_name.size() + 10 + mac_len + 6));
  put(rr_head, sizeof rr_head);
  put(key.algorithm_name.data(), key.algorithm_name.size());
  put(timers, sizeof timers);
  uint8_t mac_size[2];
  put16(mac_size, static_cast<uint16_t>(mac_len));
  put(mac_size, 2);
  put(mac, mac_len);
  put(msg, 2);  // original ID: the reply's own, which is the request's
  put(no_error_no_other, sizeof no_error_no_other);
  put16(msg + 10, static_cast<uint16_t>(get16(msg + 10) + 1));
  return static_cast<size_t>(p - msg);
}

}  // namespace fodns::xfr
