// TSIG (RFC 8945): verifying signed requests and signing responses and NOTIFYs,
// including the multi-message form of zone transfers (§5.3.1). HMAC comes from
// libcrypto, the library ldns itself signs with; the digest layout is ours so
// that the error cases (BADKEY, BADSIG, BADTIME with the server's time) come
// out exactly as the RFC asks, which ldns's sign/verify helpers cannot do.
// Control plane and transfer path only, never the per-query path.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dns/name.h"

struct evp_md_st;  // OpenSSL's EVP_MD

namespace fodns::xfr {

struct TsigKey {
  dns::Bytes name;            // lowercase wire
  std::string name_text;      // "xfr-key."
  std::string algorithm;      // "hmac-sha256", ...
  dns::Bytes algorithm_name;  // wire: hmac-sha256.
  std::vector<uint8_t> secret;
};

/// The digest behind a TSIG algorithm ("hmac-sha256", ...); null if unknown.
const evp_md_st* tsig_digest(std::string_view algorithm);

/// Builds a key from its stored form; nullopt if the algorithm is unknown or
/// the secret is not base64.
std::optional<TsigKey> make_key(std::string_view name, std::string_view algorithm,
                                std::string_view secret_base64);

/// RFC 8945 §4.3.3 error codes carried in the TSIG RR.
namespace tsig_error {
inline constexpr uint16_t kNone = 0, kBadSig = 16, kBadKey = 17, kBadTime = 18, kBadTrunc = 22;
}
inline constexpr uint8_t kRcodeNotAuth = 9;
inline constexpr uint16_t kFudge = 300;

enum class TsigStatus : uint8_t {
  Unsigned,   // no TSIG RR
  Ok,
  FormErr,    // TSIG not last, not in additional, or malformed
  BadKey,     // unknown key or algorithm mismatch
  BadSig,     // MAC does not verify
  BadTime,    // outside the fudge window
};

struct TsigCheck {
  TsigStatus status = TsigStatus::Unsigned;
  const TsigKey* key = nullptr;     // set for Ok, BadSig, BadTime
  dns::Bytes key_name;              // as named in the request (for BADKEY replies)
  dns::Bytes algorithm_name;
  std::vector<uint8_t> mac;         // the request's MAC (signs the reply)
  uint64_t time_signed = 0;
  size_t unsigned_len = 0;          // message length without the TSIG RR
};

/// Finds and checks the TSIG RR of `msg` against `keys` at time `now` (unix seconds).
TsigCheck verify(std::span<const uint8_t> msg, std::span<const TsigKey> keys, uint64_t now);

struct SignState {
  std::vector<uint8_t> prior_mac;   // request MAC for the first reply, then each reply's own
  bool first = true;                // later messages of a transfer sign timers only
  bool request = false;             // signing a request (NOTIFY): no prior MAC at all
};

/// Appends a TSIG RR to `msg` (a complete DNS message) and increments ARCOUNT.
/// `state` chains the MACs of a multi-message reply; `time_signed` is now, or the
/// request's time for BADTIME, whose `other` carries our clock (RFC 8945 §5.2.3).
void sign(std::vector<uint8_t>& msg, const TsigKey& key, SignState& state, uint64_t time_signed,
          uint16_t error = tsig_error::kNone, std::span<const uint8_t> other = {});

/// Appends an unsigned TSIG RR (empty MAC) carrying `error`, for BADKEY/BADSIG
/// replies (RFC 8945 §5.3.2), and sets RCODE NOTAUTH.
void append_error_tsig(std::vector<uint8_t>& msg, const TsigCheck& check, uint64_t now, uint16_t error);

}  // namespace fodns::xfr
