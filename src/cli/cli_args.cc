#include "cli/cli_args.h"

#include <charconv>
#include <ctime>

#include <fmt/format.h>

#include "cli/cli_common.h"

namespace fodns::cli {

namespace {
constexpr int64_t kMaxDurationMs = 86'400'000;  // one day: far above any sane probe interval

bool all_digits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}
}  // namespace

std::optional<int64_t> parse_duration_ms(std::string_view text) {
  int64_t scale;  // milliseconds per unit
  std::string_view num;
  if (text.ends_with("ms")) {
    scale = 1;
    num = text.substr(0, text.size() - 2);
  } else if (text.ends_with("s")) {
    scale = 1000;
    num = text.substr(0, text.size() - 1);
  } else if (text.ends_with("m")) {
    scale = 60'000;
    num = text.substr(0, text.size() - 1);
  } else {
    return std::nullopt;  // a bare number is ambiguous (seconds? milliseconds?)
  }
  size_t dot = num.find('.');
  std::string_view whole = num.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? std::string_view{} : num.substr(dot + 1);
  // At most 8 digits before the point (no overflow below), at most 5 after (1.23456m is 74073.6 ms:
  // the exactness check below refuses it anyway).
  if (!all_digits(whole) || whole.size() > 8) return std::nullopt;
  if (dot != std::string_view::npos && (!all_digits(frac) || frac.size() > 5)) return std::nullopt;
  int64_t w = 0;
  std::from_chars(whole.data(), whole.data() + whole.size(), w);
  int64_t f = 0, denom = 1;
  for (char c : frac) {
    f = f * 10 + (c - '0');
    denom *= 10;
  }
  if ((f * scale) % denom != 0) return std::nullopt;  // not a whole number of milliseconds
  int64_t ms = w * scale + f * scale / denom;
  if (ms > kMaxDurationMs) return std::nullopt;
  return ms;
}

std::string format_duration_ms(int64_t ms) {
  if (ms > 0 && ms % 60'000 == 0) return fmt::format("{}m", ms / 60'000);
  if (ms > 0 && ms % 1000 == 0) return fmt::format("{}s", ms / 1000);
  if (ms >= 1000 && ms % 100 == 0) return fmt::format("{}.{}s", ms / 1000, (ms % 1000) / 100);
  return fmt::format("{}ms", ms);
}

int64_t duration_arg(std::string_view command, std::string_view field, std::string_view text) {
  auto ms = parse_duration_ms(text);
  if (!ms) {
    throw UsageError(fmt::format("{}: {} '{}' is not a duration (use 250ms, 1s, 1m)", command,
                                 field, text));
  }
  return *ms;
}

int64_t int_arg(std::string_view command, std::string_view field, std::string_view text,
                int64_t lo, int64_t hi) {
  std::string_view digits = text;
  if (digits.starts_with('-')) digits.remove_prefix(1);
  if (!all_digits(digits) || digits.size() > 18) {
    throw UsageError(fmt::format("{}: {} '{}' is not a number", command, field, text));
  }
  int64_t v = 0;
  std::from_chars(text.data(), text.data() + text.size(), v);
  if (v < lo || v > hi) {
    throw UsageError(
        fmt::format("{}: {} '{}' is out of range (allowed {}..{})", command, field, text, lo, hi));
  }
  return v;
}

std::string format_utc(int64_t unix_ms, bool millis) {
  int64_t s = unix_ms >= 0 ? unix_ms / 1000 : (unix_ms - 999) / 1000;
  auto t = static_cast<std::time_t>(s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  std::string out = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", tm.tm_year + 1900,
                                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  if (millis) out += fmt::format(".{:03}", unix_ms - s * 1000);
  return out + "Z";
}

std::string format_age(int64_t ms) {
  if (ms < 0) ms = 0;  // a clock stepped back: "0ms" rather than a negative age
  if (ms < 1000) return fmt::format("{}ms", ms);
  int64_t s = ms / 1000;
  if (s < 60) return fmt::format("{}s", s);
  if (s < 3600) return fmt::format("{}m{:02}s", s / 60, s % 60);
  if (s < 86400) return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
  return fmt::format("{}d{:02}h", s / 86400, (s % 86400) / 3600);
}

std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (c == '\r') out += "\\r";
    else if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else if (u < 0x20 || u == 0x7f) out += fmt::format("\\x{:02x}", u);
    else out += c;
  }
  return out;
}

std::string rdata_of_line(const std::string& line) {
  size_t pos = 0;
  for (int i = 0; i < 4; ++i) {
    pos = line.find('\t', pos);
    if (pos == std::string::npos) return {};
    ++pos;
  }
  return line.substr(pos);
}

}  // namespace fodns::cli
