// Small helpers for reading and writing DNS wire format (RFC 1035 §4.1).
#pragma once

#include <cstddef>
#include <cstdint>

namespace fodns::dns {

inline constexpr size_t kHeaderSize = 12;
inline constexpr uint16_t kDefaultUdpPayload = 1232;  // DNS flag day 2020
inline constexpr size_t kMinUdpPayload = 512;
inline constexpr size_t kMaxMessage = 65535;
inline constexpr size_t kOptRrSize = 11;  // root owner, type, class, ttl, rdlength=0

namespace flag {  // bits of header byte 2 and 3
inline constexpr uint8_t kQr = 0x80;
inline constexpr uint8_t kAa = 0x04;
inline constexpr uint8_t kTc = 0x02;
inline constexpr uint8_t kRd = 0x01;
inline constexpr uint8_t kCd = 0x10;  // byte 3
}  // namespace flag

namespace rcode {
inline constexpr uint8_t kNoError = 0, kFormErr = 1, kServFail = 2, kNxDomain = 3, kNotImp = 4,
                         kRefused = 5;
inline constexpr uint16_t kBadVers = 16;  // extended, needs OPT
}  // namespace rcode

namespace type {
inline constexpr uint16_t kA = 1, kNs = 2, kCname = 5, kSoa = 6, kPtr = 12, kMx = 15, kTxt = 16,
                          kAaaa = 28, kSrv = 33, kNaptr = 35, kOpt = 41, kDs = 43, kTsig = 250, kIxfr = 251,
                          kAxfr = 252, kAny = 255;
}  // namespace type

inline constexpr uint16_t kClassIn = 1;

inline uint16_t get16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
inline uint32_t get32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
inline void put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline void put32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

}  // namespace fodns::dns
