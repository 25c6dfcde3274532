// AliveCodes parsing and the names of outcomes and kinds.
#include <charconv>

#include "probes/probe.h"

namespace fodns::probes {

std::string_view outcome_name(Outcome o) {
  switch (o) {
    case Outcome::Ok: return "ok";
    case Outcome::Timeout: return "timeout";
    case Outcome::Refused: return "refused";
    case Outcome::Unreachable: return "unreachable";
    case Outcome::BadStatus: return "bad_status";
    case Outcome::Garbage: return "garbage";
    case Outcome::Error: return "error";
  }
  return "error";
}

std::string_view kind_name(Kind k) {
  switch (k) {
    case Kind::SipOptions: return "sip-options";
    case Kind::Icmp: return "icmp";
    case Kind::Tcp: return "tcp";
  }
  return "unknown";
}

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A SIP status code: exactly three digits, 100-699 (RFC 3261 §7.2; 1xx is
// accepted although provisional replies never decide, so "100-699" works).
bool parse_code(std::string_view s, int* out) {
  s = trim(s);
  if (s.size() != 3) return false;
  int v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size() || v < 100 || v > 699) return false;
  *out = v;
  return true;
}

}  // namespace

AliveCodes::AliveCodes() : AliveCodes(parse(kDefault).value()) {}

Result<AliveCodes> AliveCodes::parse(std::string_view text) {
  AliveCodes a{Empty{}};  // not the default constructor: it calls parse()
  std::string_view rest = text;
  if (trim(rest).empty()) return make_error("alive codes: empty list (expected e.g. \"200-407,409-499\")");
  while (true) {
    size_t comma = rest.find(',');
    std::string_view part = trim(rest.substr(0, comma));
    size_t dash = part.find('-');
    int lo = 0, hi = 0;
    bool good = dash == std::string_view::npos
                    ? parse_code(part, &lo) && parse_code(part, &hi)
                    : parse_code(part.substr(0, dash), &lo) && parse_code(part.substr(dash + 1), &hi);
    if (!good) {
      return make_error("alive codes: bad part \"{}\" in \"{}\" (expected a SIP code 100-699 or a range like 200-299)",
                        part, text);
    }
    if (lo > hi) return make_error("alive codes: range \"{}\" in \"{}\" runs backwards", part, text);
    for (int c = lo; c <= hi; ++c) a.codes_.set(static_cast<size_t>(c));
    if (comma == std::string_view::npos) break;
    rest = rest.substr(comma + 1);
  }
  a.text_ = std::string(trim(text));
  return a;
}

}  // namespace fodns::probes
