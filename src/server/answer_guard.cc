#include "server/answer_guard.h"

#include <ctime>

#include "server/cookie_reply.h"

namespace fodns::server {

AnswerGuard::AnswerGuard(RrlConfig rrl, WorkerCounters& counters)
    : rrl_(std::move(rrl)), counters_(counters) {}

void AnswerGuard::check(dns::Query& q, const sockaddr* peer) {
  verdict_ = dns::CookieVerdict::None;
  if (!cookies_on_ || !q.cookie_len || !peer || q.has_tsig) return;
  const uint8_t* addr = nullptr;
  size_t addr_len = dns::cookie_address(peer, &addr);
  if (addr_len == 0) return;
  auto now = static_cast<uint32_t>(::time(nullptr));  // vDSO: no system call
  verdict_ = dns::check_cookie(secrets_, q.msg + q.cookie_off, q.cookie_len, addr, addr_len, now);
  // Always a fresh one (RFC 9018 §4.3 allows reusing a young one; this keeps one path).
  dns::make_server_cookie(secrets_.current, q.msg + q.cookie_off, now, addr, addr_len,
                          server_cookie_);
  q.opt_reserve = dns::kCookieOptionSize;
  bump(counters_.cookies[static_cast<size_t>(verdict_)]);
}

size_t AnswerGuard::finish(const dns::Query& q, bool question_ok, const zone::ResponseInfo& info,
                           bool udp, const sockaddr* peer, uint64_t now_ms, uint8_t* out,
                           size_t len) {
  if (len == 0) return 0;
  bool cookie = verdict_ != dns::CookieVerdict::None;
  if (cookie) len = append_cookie(q, server_cookie_, out, len);
  if (!udp || !rrl_.enabled() || !peer || verdict_ == dns::CookieVerdict::Valid ||
      rrl_.exempt(peer))
    return len;
  RrlAction act = rrl_.account(peer, info.rclass, q.qtype, q.qname_lower + info.key_off,
                               q.qname_len - info.key_off, now_ms);
  if (act == RrlAction::Send) return len;
  auto cls = static_cast<size_t>(info.rclass);
  bump(counters_.rrl_limited[cls]);
  if (act == RrlAction::Drop) return 0;
  bump(counters_.rrl_slipped[cls]);
  return slip_reply(q, question_ok, cookie ? server_cookie_ : nullptr, out);
}

}  // namespace fodns::server
