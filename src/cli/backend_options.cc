#include "cli/backend_options.h"

#include <arpa/inet.h>

#include <fmt/format.h>

#include "cli/cli_args.h"
#include "probes/probe.h"

namespace fodns::cli {

namespace {

constexpr int64_t kMinIntervalMs = 10;         // below this a probe is a flood, not a check
constexpr int64_t kMaxIntervalMs = 3'600'000;  // one hour

bool is_sip(const store::Backend& b) { return b.probe == "sip-options"; }

// An IPv4 or IPv6 literal, returned in canonical form (inet_ntop: "2001:db8::1").
std::string address_arg(std::string_view command, std::string_view text) {
  std::string s(text);
  char buf[INET6_ADDRSTRLEN];
  unsigned char bin[sizeof(in6_addr)];
  if (inet_pton(AF_INET, s.c_str(), bin) == 1) return inet_ntop(AF_INET, bin, buf, sizeof buf);
  if (inet_pton(AF_INET6, s.c_str(), bin) == 1) return inet_ntop(AF_INET6, bin, buf, sizeof buf);
  throw UsageError(fmt::format(
      "{}: --address '{}' is not an IPv4 or IPv6 address (a literal such as 192.0.2.10 or "
      "2001:db8::10; host names are not resolved)",
      command, text));
}

std::string one_of(std::string_view command, std::string_view field, const std::string& text,
                   std::initializer_list<std::string_view> allowed) {
  for (auto a : allowed) {
    if (text == a) return text;
  }
  std::string list;
  for (auto a : allowed) list += fmt::format("{}{}", list.empty() ? "" : ", ", a);
  throw UsageError(fmt::format("{}: {} '{}' is not one of {}", command, field, text, list));
}

void check_sip_uri(std::string_view command, std::string_view uri) {
  auto lower = [](std::string_view s, size_t n) {
    std::string out(s.substr(0, n));
    for (auto& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    return out;
  };
  bool scheme = lower(uri, 4) == "sip:" || lower(uri, 5) == "sips:";
  if (!scheme || uri.size() <= (lower(uri, 4) == "sip:" ? 4u : 5u)) {
    throw UsageError(fmt::format(
        "{}: --sip-uri '{}' must start with sip: or sips: (e.g. sip:ping@192.0.2.10:5060)",
        command, printable(uri)));
  }
  // The URI goes into the request line: no blanks or control characters (RFC 3261 §25.1).
  for (char c : uri) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) {
      throw UsageError(fmt::format("{}: --sip-uri '{}' contains a blank or a control character",
                                   command, printable(uri)));
    }
  }
}

std::string str(const cxxopts::ParseResult& r, const char* name) {
  return r[name].as<std::string>();
}

}  // namespace

void check_backend_name(std::string_view command, std::string_view name) {
  bool good = !name.empty() && name.size() <= 64 &&
              name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                     "0123456789_.-") == std::string_view::npos;
  if (!good) {
    throw UsageError(fmt::format(
        "{}: NAME '{}' is not a backend name (1 to 64 of A-Z a-z 0-9 _ . -)", command, name));
  }
}

std::string address_port(const store::Backend& b) {
  if (b.address.find(':') != std::string::npos) return fmt::format("[{}]:{}", b.address, b.port);
  return fmt::format("{}:{}", b.address, b.port);
}

void add_backend_options(cxxopts::Options& opts, bool show_defaults) {
  store::Backend d;  // the defaults, as the schema has them
  auto v = [&](const std::string& def) {
    auto value = cxxopts::value<std::string>();
    // Shown in --help only: apply_backend_options reads just the options actually given,
    // on top of store::Backend's defaults (add) or the stored backend (set).
    if (show_defaults && !def.empty()) value->default_value(def);
    return value;
  };
  // `set` changes only what it is given: every option's default there is "unchanged".
  auto h = [&](std::string_view add_text, std::string_view set_text) {
    return show_defaults ? std::string(add_text) : fmt::format("{} (default: unchanged)", set_text);
  };
  opts.add_options()
      ("address", h("IPv4 or IPv6 literal of the backend (required)", "IPv4 or IPv6 literal of the backend"), v(""), "ADDR")
      ("port", h("port probed (sip-options, tcp), 1-65535", "port probed (sip-options, tcp), 1-65535"), v(std::to_string(d.port)), "N")
      ("probe", h("how to check it: sip-options, icmp or tcp (required)", "how to check it: sip-options, icmp or tcp"), v(""), "KIND")
      ("transport", h("SIP transport for sip-options: udp or tcp", "SIP transport for sip-options: udp or tcp"), v(d.transport), "T")
      ("interval", h("time between probes, 10ms..1h (250ms, 1s, 1.5s, 1m)", "time between probes, 10ms..1h (250ms, 1s, 1.5s, 1m)"),
       v(format_duration_ms(d.interval_ms)), "DUR")
      ("timeout", h("probe timeout, above 0 and at most the interval", "probe timeout, above 0 and at most the interval"),
       v(format_duration_ms(d.timeout_ms)), "DUR")
      ("rise", h("consecutive successes that make it up, 1..100", "consecutive successes that make it up, 1..100"), v(std::to_string(d.rise)), "N")
      ("fall", h("consecutive failures that make it down, 1..100", "consecutive failures that make it down, 1..100"), v(std::to_string(d.fall)), "N")
      ("alive-codes", h("SIP final codes that mean alive: codes and ranges in 100-699", "SIP final codes that mean alive: codes and ranges in 100-699"),
       v(d.alive_codes), "LIST")
      ("sip-uri", h("Request-URI of the OPTIONS request, sip: or sips: (default: sip:ADDR:PORT)",
                    "Request-URI of the OPTIONS request, sip: or sips:; '' goes back to sip:ADDR:PORT"),
       v(""), "URI");
}

void apply_backend_options(const Context& ctx, std::string_view command,
                           const cxxopts::ParseResult& r, store::Backend& b) {
  // cxxopts counts only options actually given, not the defaults shown in --help.
  auto given = [&](const char* name) { return r.count(name) > 0; };
  std::string old_probe = b.probe;
  if (given("address")) b.address = address_arg(command, str(r, "address"));
  if (given("port")) b.port = static_cast<int>(int_arg(command, "--port", str(r, "port"), 1, 65535));
  if (given("probe")) b.probe = one_of(command, "--probe", str(r, "probe"), {"sip-options", "icmp", "tcp"});
  if (given("transport")) b.transport = one_of(command, "--transport", str(r, "transport"), {"udp", "tcp"});
  if (given("interval")) b.interval_ms = duration_arg(command, "--interval", str(r, "interval"));
  if (given("timeout")) b.timeout_ms = duration_arg(command, "--timeout", str(r, "timeout"));
  if (given("rise")) b.rise = static_cast<int>(int_arg(command, "--rise", str(r, "rise"), 1, 100));
  if (given("fall")) b.fall = static_cast<int>(int_arg(command, "--fall", str(r, "fall"), 1, 100));
  if (given("alive-codes")) {
    auto codes = probes::AliveCodes::parse(str(r, "alive-codes"));
    if (!codes) {
      throw UsageError(fmt::format("{}: --alive-codes '{}': {}", command, str(r, "alive-codes"),
                                   codes.error().message));
    }
    b.alive_codes = codes->text();
  }
  if (given("sip-uri")) {
    b.sip_uri = str(r, "sip-uri");
    if (!b.sip_uri.empty()) check_sip_uri(command, b.sip_uri);  // "" resets to sip:ADDR:PORT
  }

  if (!is_sip(b) && old_probe == "sip-options" && given("probe")) {
    // `set --probe icmp` on a SIP-over-TCP backend: the SIP-only fields no longer apply.
    if (b.transport == "tcp" && !given("transport")) {
      b.transport = "udp";
      ctx.err << fmt::format("{}: note: --transport reset to udp (SIP only)\n", command);
    }
    if (!b.sip_uri.empty() && !given("sip-uri")) {
      b.sip_uri.clear();
      ctx.err << fmt::format("{}: note: --sip-uri cleared (SIP only)\n", command);
    }
  }
  if (!is_sip(b) && b.transport == "tcp") {
    throw UsageError(fmt::format(
        "{}: --transport tcp is only meaningful with --probe sip-options (this backend's probe is "
        "{}; a tcp probe connects over TCP by itself)",
        command, b.probe));
  }
  if (!is_sip(b) && !b.sip_uri.empty()) {
    throw UsageError(fmt::format("{}: --sip-uri is only meaningful with --probe sip-options "
                                 "(this backend's probe is {})",
                                 command, b.probe));
  }
  if (!is_sip(b) && given("alive-codes")) {
    throw UsageError(fmt::format("{}: --alive-codes is only meaningful with --probe sip-options "
                                 "(this backend's probe is {})",
                                 command, b.probe));
  }
  if (b.interval_ms < kMinIntervalMs || b.interval_ms > kMaxIntervalMs) {
    throw UsageError(fmt::format("{}: --interval {} is out of range (allowed 10ms..1h)", command,
                                 format_duration_ms(b.interval_ms)));
  }
  if (b.timeout_ms <= 0) {
    throw UsageError(fmt::format("{}: --timeout must be above 0", command));
  }
  if (b.timeout_ms > b.interval_ms) {
    throw UsageError(fmt::format(
        "{}: --timeout {} is longer than --interval {}: a probe longer than its interval would "
        "skip rounds (make the timeout at most the interval)",
        command, format_duration_ms(b.timeout_ms), format_duration_ms(b.interval_ms)));
  }
}

std::string_view current_error(const store::BackendState& s) {
  return s.last_result == "ok" ? std::string_view() : std::string_view(s.last_error);
}

std::string result_text(const store::BackendState& s) {
  std::string_view err = current_error(s);
  if (s.last_result.empty()) return "-";
  if (err.empty()) return s.last_result;
  if (err.starts_with(s.last_result)) return std::string(err);
  return fmt::format("{}: {}", s.last_result, err);
}

}  // namespace fodns::cli
