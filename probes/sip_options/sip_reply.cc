// SIP reply parsing with libosip2 (a well-kept, long-fuzzed parser), after
// the fast path of sip_reply_scan.h, plus our own TCP framing, which libosip2
// does not provide.
#include "probes/sip_options/sip_reply.h"

#include <osipparser2/osip_parser.h>

#include <charconv>
#include <cstring>
#include <memory>
#include <mutex>

#include "probes/sip_options/sip_reply_scan.h"
#include "probes/sip_options/sip_request.h"

namespace fodns::probes {

namespace {

struct OsipFree {
  void operator()(osip_message_t* m) const { osip_message_free(m); }
};
using OsipMessage = std::unique_ptr<osip_message_t, OsipFree>;

// parser_init() builds libosip2's global header table: once per process,
// before any parse, and not concurrently with a parse.
void init_osip() {
  static std::once_flag once;
  std::call_once(once, [] {
    // libosip2 logs every parse error to stdout/stderr by default (and
    // osip_trace_disable_level does not stop that): route traces to a no-op;
    // the caller counts and reports bad replies itself.
    osip_trace_initialize_func(END_TRACE_LEVEL, [](const char*, int, osip_trace_level_t, const char*, va_list) {});
    parser_init();
  });
}

std::string str(const char* s) { return s ? std::string(s) : std::string(); }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

bool parse_u32(std::string_view s, uint32_t* out) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc{} && p == s.data() + s.size();
}

}  // namespace

Result<SipReply> parse_sip_reply(std::string_view bytes) {
  if (auto plain = scan_plain_sip_reply(bytes)) return std::move(*plain);
  return parse_sip_reply_osip(bytes);
}

Result<SipReply> parse_sip_reply_osip(std::string_view bytes) {
  if (bytes.empty()) return make_error("empty message");
  if (bytes.size() > kMaxSipMessage) return make_error("message of {} bytes is too large", bytes.size());
  // A cheap first check keeps requests and random bytes away from the parser.
  if (bytes.size() < 12 || !iequals(bytes.substr(0, 8), "SIP/2.0 ")) return make_error("not a SIP response");
  init_osip();
  osip_message_t* raw = nullptr;
  if (osip_message_init(&raw) != 0 || raw == nullptr) return make_error("out of memory");
  OsipMessage msg(raw);
  // libosip2 takes (buf, length) but some paths look for a terminating NUL:
  // hand it a NUL-terminated copy.
  std::string copy(bytes);
  if (osip_message_parse(msg.get(), copy.c_str(), copy.size()) != 0) return make_error("unparseable SIP message");
  if (!MSG_IS_RESPONSE(msg.get())) return make_error("not a SIP response");

  SipReply r;
  r.status = osip_message_get_status_code(msg.get());
  if (r.status < 100 || r.status > 699) return make_error("status code {} out of range", r.status);
  r.reason = str(osip_message_get_reason_phrase(msg.get()));

  osip_call_id_t* cid = osip_message_get_call_id(msg.get());
  if (!cid || !cid->number) return make_error("no Call-ID");
  r.call_id = cid->host ? str(cid->number) + "@" + str(cid->host) : str(cid->number);

  osip_via_t* via = nullptr;
  if (osip_message_get_via(msg.get(), 0, &via) < 0 || !via) return make_error("no Via");
  osip_generic_param_t* branch = nullptr;
  if (osip_via_param_get_byname(via, const_cast<char*>("branch"), &branch) == 0 && branch) {
    r.branch = str(branch->gvalue);
  }

  osip_cseq_t* cseq = osip_message_get_cseq(msg.get());
  if (!cseq || !cseq->method || !cseq->number) return make_error("no CSeq");
  r.cseq_method = str(cseq->method);
  if (!parse_u32(cseq->number, &r.cseq)) return make_error("bad CSeq number");
  return r;
}

bool reply_matches(const SipReply& reply, const SipRequest& request) {
  return !reply.branch.empty() && reply.branch == request.branch && reply.call_id == request.call_id &&
         reply.cseq == request.cseq && reply.cseq_method == "OPTIONS";
}

std::string status_line(const SipReply& reply) {
  return reply.reason.empty() ? std::to_string(reply.status) : std::to_string(reply.status) + " " + reply.reason;
}

SipFrame sip_frame(std::string_view stream) {
  static constexpr size_t kMaxHeaders = 16 * 1024;
  SipFrame f;
  while (f.skip < stream.size() && (stream[f.skip] == '\r' || stream[f.skip] == '\n')) ++f.skip;
  std::string_view s = stream.substr(f.skip);
  size_t end = s.find("\r\n\r\n");
  size_t sep = 4;
  if (end == std::string_view::npos) {
    if (s.size() > kMaxHeaders) f.status = SipFrame::Bad;
    return f;
  }
  if (end > kMaxHeaders) {
    f.status = SipFrame::Bad;
    return f;
  }
  // Content-Length (or its compact form "l"), case-insensitive; the header
  // lines are split at CRLF, continuation lines never carry the name.
  uint32_t body = 0;
  std::string_view headers = s.substr(0, end);
  size_t pos = 0;
  while (pos <= headers.size()) {
    size_t eol = headers.find("\r\n", pos);
    if (eol == std::string_view::npos) eol = headers.size();
    std::string_view line = headers.substr(pos, eol - pos);
    pos = eol + 2;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || line.empty() || line[0] == ' ' || line[0] == '\t') continue;
    std::string_view name = line.substr(0, colon);
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
    if (!iequals(name, "content-length") && !iequals(name, "l")) continue;
    if (!parse_u32(line.substr(colon + 1), &body) || body > kMaxSipMessage) {
      f.status = SipFrame::Bad;
      return f;
    }
  }
  size_t total = end + sep + body;
  if (s.size() < total) return f;
  f.status = SipFrame::Complete;
  f.length = total;
  return f;
}

}  // namespace fodns::probes
