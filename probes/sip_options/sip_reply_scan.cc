// The plain form, deliberately narrow (anything outside it goes to libosip2):
//   SIP/2.0 SP 3DIGIT SP reason CRLF, then header lines `Name: value` CRLF
//   (no folding, no tabs, printable ASCII), an empty line, and a body exactly
//   as long as Content-Length (empty without one). One Via without commas,
//   one Call-ID, one CSeq; From and To as `<sip:...>;tag=...` without a
//   display name; no header that libosip2 parses into a structure besides
//   those (Contact, Content-Type, Route ... make the scanner decline).
#include "probes/sip_options/sip_reply_scan.h"

#include <array>
#include <charconv>
#include <utility>

namespace fodns::probes {

namespace {

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

bool is_alnum(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
// RFC 3261 token characters.
bool is_token(char c) {
  if (is_alnum(c)) return true;
  switch (c) {
    case '-': case '.': case '!': case '%': case '*': case '_': case '+': case '`': case '\'': case '~': return true;
    default: return false;
  }
}
bool all_of(std::string_view s, bool (*pred)(char)) {
  if (s.empty()) return false;
  for (char c : s)
    if (!pred(c)) return false;
  return true;
}
bool is_hex_or_colon(char c) {
  return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || c == ':' || c == '.';
}
bool is_hostname_char(char c) { return is_alnum(c) || c == '.' || c == '-'; }

// host[:port]: a name or IPv4 address (letters, digits, dots, dashes; a
// letter or digit at both ends), or an IPv6 reference in brackets.
bool scan_hostport(std::string_view s) {
  std::string_view host;
  if (!s.empty() && s[0] == '[') {
    size_t close = s.find(']');
    if (close == std::string_view::npos || !all_of(s.substr(1, close - 1), is_hex_or_colon)) return false;
    host = s.substr(0, close + 1);
  } else {
    host = s.substr(0, s.find(':'));
    if (!all_of(host, is_hostname_char) || !is_alnum(host.front()) || !is_alnum(host.back())) return false;
  }
  std::string_view port = s.substr(host.size());
  if (port.empty()) return true;
  return port[0] == ':' && port.size() <= 6 && all_of(port.substr(1), is_digit);
}

// Headers libosip2 parses into structures, other than the six the scanner
// reads itself (Via, From, To, Call-ID, CSeq, Content-Length). libosip2
// refuses a message over a bad Contact or Content-Type and may store or drop
// the others; the scanner declines all of them rather than rely on which.
// (Accept and Allow are not here: libosip2 ignores bad values of those,
// checked against libosip2 5.3.)
constexpr std::array<std::string_view, 20> kStructured = {
    "accept-encoding", "accept-language", "alert-info", "authentication-info", "authorization", "c",
    "call-info", "contact", "content-encoding", "content-type", "e", "error-info", "m", "mime-version",
    "proxy-authenticate", "proxy-authentication-info", "proxy-authorization", "record-route", "route",
    "www-authenticate"};

bool structured(std::string_view name) {
  for (auto s : kStructured)
    if (iequals(name, s)) return true;
  return false;
}

bool parse_u32(std::string_view s, uint32_t* out) {
  if (s.empty() || s.size() > 10 || !all_of(s, is_digit)) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc{} && p == s.data() + s.size();
}

// `;name=value` parameters (value optional), each part token characters (or
// ':' in values, for IPv6 `received`). Sets *branch to the value of `branch`.
bool scan_params(std::string_view s, std::string_view* branch) {
  while (!s.empty()) {
    if (s[0] != ';') return false;
    s.remove_prefix(1);
    size_t end = s.find(';');
    std::string_view param = s.substr(0, end);
    s = end == std::string_view::npos ? std::string_view() : s.substr(end);
    size_t eq = param.find('=');
    std::string_view name = param.substr(0, eq);
    if (!all_of(name, is_token)) return false;
    if (eq == std::string_view::npos) continue;
    std::string_view value = param.substr(eq + 1);
    if (!all_of(value, [](char c) { return is_token(c) || c == ':'; })) return false;
    if (branch && iequals(name, "branch")) {
      // Only the one, lowercase: what libosip2 finds by that name is then certain.
      if (name != "branch" || !branch->empty()) return false;
      *branch = value;
    }
  }
  return true;
}

// "SIP/2.0/UDP host:port;params", one value (no comma).
bool scan_via(std::string_view v, std::string_view* branch) {
  static constexpr std::string_view kProto = "SIP/2.0/";
  if (v.substr(0, kProto.size()) != kProto) return false;
  v.remove_prefix(kProto.size());
  size_t sp = v.find(' ');
  if (sp == std::string_view::npos || !all_of(v.substr(0, sp), is_alnum)) return false;
  v.remove_prefix(sp + 1);
  size_t semi = v.find(';');
  if (semi == std::string_view::npos || !scan_hostport(v.substr(0, semi))) return false;
  return scan_params(v.substr(semi), branch) && !branch->empty();
}

// "<sip:user@host:port>;tag=x" without a display name.
bool scan_name_addr(std::string_view v) {
  if (v.empty() || v[0] != '<') return false;
  size_t close = v.find('>');
  if (close == std::string_view::npos) return false;
  std::string_view uri = v.substr(1, close - 1);
  size_t colon = uri.find(':');
  if (colon == std::string_view::npos) return false;
  std::string_view scheme = uri.substr(0, colon), rest = uri.substr(colon + 1);
  if (scheme != "sip" && scheme != "sips") return false;
  if (rest.size() < 2) return false;  // libosip2 refuses "<sip:x>"
  size_t at = rest.find('@');
  if (at != std::string_view::npos && !all_of(rest.substr(0, at), is_token)) return false;  // user
  if (!scan_hostport(at == std::string_view::npos ? rest : rest.substr(at + 1))) return false;
  return scan_params(v.substr(close + 1), nullptr);
}

// "word" or "word@word" of token characters.
bool scan_call_id(std::string_view v) {
  size_t at = v.find('@');
  if (at == std::string_view::npos) return all_of(v, is_token);
  return all_of(v.substr(0, at), is_token) && all_of(v.substr(at + 1), is_token);
}

}  // namespace

std::optional<SipReply> scan_plain_sip_reply(std::string_view bytes) {
  if (bytes.size() > kMaxSipMessage) return std::nullopt;
  size_t head_end = bytes.find("\r\n\r\n");
  if (head_end == std::string_view::npos) return std::nullopt;
  std::string_view head = bytes.substr(0, head_end + 2);  // every line with its CRLF
  std::string_view body = bytes.substr(head_end + 4);

  // Status line.
  size_t eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  head.remove_prefix(eol + 2);
  if (line.size() < 14 || line.substr(0, 8) != "SIP/2.0 " || line[11] != ' ') return std::nullopt;
  SipReply r;
  if (line[8] < '1' || line[8] > '6' || !is_digit(line[9]) || !is_digit(line[10])) return std::nullopt;
  r.status = (line[8] - '0') * 100 + (line[9] - '0') * 10 + (line[10] - '0');
  std::string_view reason = line.substr(12);
  if (reason.front() == ' ' || reason.back() == ' ') return std::nullopt;
  for (char c : reason)
    if (c < 0x20 || c > 0x7e) return std::nullopt;

  std::string_view via, call_id, cseq, length;
  bool from = false, to = false;
  while (!head.empty()) {
    eol = head.find("\r\n");
    line = head.substr(0, eol);
    head.remove_prefix(eol + 2);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    std::string_view name = line.substr(0, colon), value = line.substr(colon + 1);
    if (!all_of(name, is_token)) return std::nullopt;
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (value.empty() || value.back() == ' ') return std::nullopt;
    for (char c : value)
      if (c < 0x20 || c > 0x7e) return std::nullopt;  // also CR, LF and tabs
    auto take = [&](std::string_view* slot) {
      if (!slot->empty()) return false;  // twice
      *slot = value;
      return true;
    };
    bool ok = true;
    if (iequals(name, "via") || iequals(name, "v")) ok = take(&via);
    else if (iequals(name, "call-id") || iequals(name, "i")) ok = take(&call_id);
    else if (iequals(name, "cseq")) ok = take(&cseq);
    else if (iequals(name, "content-length") || iequals(name, "l")) ok = take(&length);
    else if (iequals(name, "from") || iequals(name, "f")) ok = !std::exchange(from, true) && scan_name_addr(value);
    else if (iequals(name, "to") || iequals(name, "t")) ok = !std::exchange(to, true) && scan_name_addr(value);
    else ok = !structured(name);
    if (!ok) return std::nullopt;
  }

  std::string_view branch;
  if (via.empty() || via.find(',') != std::string_view::npos || !scan_via(via, &branch)) return std::nullopt;
  if (call_id.empty() || !scan_call_id(call_id)) return std::nullopt;
  size_t sp = cseq.find(' ');
  if (sp == std::string_view::npos || !parse_u32(cseq.substr(0, sp), &r.cseq)) return std::nullopt;
  std::string_view method = cseq.substr(sp + 1);
  if (!all_of(method, [](char c) { return c >= 'A' && c <= 'Z'; })) return std::nullopt;
  uint32_t body_len = 0;
  if (!length.empty() && !parse_u32(length, &body_len)) return std::nullopt;
  if (body_len != body.size()) return std::nullopt;

  r.reason = reason;
  r.call_id = call_id;
  r.branch = branch;
  r.cseq_method = method;
  return r;
}

}  // namespace fodns::probes
