#include "dns/siphash.h"

namespace fodns::dns {
namespace {

uint64_t load_le64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

constexpr uint64_t rotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

struct State {
  uint64_t v0, v1, v2, v3;
  void round() {
    v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);
    v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;
    v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;
    v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);
  }
  void compress(uint64_t m) {  // the "2" of 2-4: two rounds per message word
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }
};

}  // namespace

uint64_t siphash24(const uint8_t key[kSipHashKeySize], const uint8_t* data, size_t len) {
  uint64_t k0 = load_le64(key), k1 = load_le64(key + 8);
  // "somepseudorandomlygeneratedbytes", the constants of the reference implementation.
  State s{k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL, k0 ^ 0x6c7967656e657261ULL,
          k1 ^ 0x7465646279746573ULL};
  size_t whole = len & ~size_t{7};
  for (size_t i = 0; i < whole; i += 8) s.compress(load_le64(data + i));
  // Last word: the remaining bytes, and the length modulo 256 in the top byte.
  uint64_t last = static_cast<uint64_t>(len & 0xFF) << 56;
  for (size_t i = 0; i < (len & 7); ++i) last |= static_cast<uint64_t>(data[whole + i]) << (8 * i);
  s.compress(last);
  s.v2 ^= 0xFF;
  for (int i = 0; i < 4; ++i) s.round();  // the "4": finalization rounds
  return s.v0 ^ s.v1 ^ s.v2 ^ s.v3;
}

}  // namespace fodns::dns
