// libFuzzer target: a signed DNS query -> parse_query -> TSIG verified in place
// (xfr/tsig_in_place.h), cross-checked with the general verifier of tsig.h: both
// must accept exactly the same messages. An accepted one is then signed in place
// and must grow by exactly tsig_rr_size(). Key "xfr-key." (hmac-sha256), clock
// fixed at the time the seeds were signed (test/fuzz/make_tsig_corpus.py).
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "dns/query.h"
#include "xfr/tsig.h"
#include "xfr/tsig_in_place.h"

using namespace fodns;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<xfr::TsigKey> keys = {
      *xfr::make_key("xfr-key.", "hmac-sha256", "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0IQ==")};
  static const std::unique_ptr<uint8_t[]> out(new uint8_t[65535]);
  constexpr uint64_t kNow = 1700000000;
  dns::Query q;
  if (dns::parse_query(data, size, q) != dns::ParseResult::Ok || !q.has_tsig) return 0;
  xfr::TsigVerified v = xfr::verify_in_place(q, keys, kNow);
  xfr::TsigCheck c = xfr::verify({data, size}, keys, kNow);
  if ((v.status == xfr::TsigStatus::Ok) != (c.status == xfr::TsigStatus::Ok)) __builtin_trap();
  if (v.status != xfr::TsigStatus::Ok) return 0;
  if (v.mac < data || v.mac + v.mac_len > data + size) __builtin_trap();
  // The reply: the query's header and question, as the responder starts one.
  std::memcpy(out.get(), data, q.question_end);
  size_t n = xfr::sign_in_place(out.get(), q.question_end, *v.key, {v.mac, v.mac_len}, kNow);
  if (n != q.question_end + xfr::tsig_rr_size(*v.key)) __builtin_trap();
  return 0;
}
