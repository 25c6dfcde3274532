#include "xfr/tsig_reply.h"

#include "dns/wire.h"

namespace fodns::xfr {

void make_tsig_error_reply(std::vector<uint8_t>& m, const TsigCheck& check, uint64_t now) {
  switch (check.status) {
    case TsigStatus::Unsigned:  // not an error: callers never pass these
    case TsigStatus::Ok:
    case TsigStatus::FormErr:
      m[3] = dns::rcode::kFormErr;
      return;
    case TsigStatus::BadKey:
    case TsigStatus::BadSig:
      append_error_tsig(m, check, now,
                        check.status == TsigStatus::BadKey ? tsig_error::kBadKey : tsig_error::kBadSig);
      return;
    case TsigStatus::BadTime: {
      m[3] = kRcodeNotAuth;
      std::vector<uint8_t> clock;
      for (int s = 40; s >= 0; s -= 8) clock.push_back(static_cast<uint8_t>(now >> s));
      SignState st;
      st.prior_mac = check.mac;
      sign(m, *check.key, st, check.time_signed, tsig_error::kBadTime, clock);
      return;
    }
  }
}

}  // namespace fodns::xfr
