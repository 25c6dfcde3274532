// Argument parsing and formatting shared by the backend, rrset, status and events commands:
// durations ("250ms", "1s", "1.5s", "1m"), bounded integers, UTC timestamps and ages.
// Pure functions; parse errors throw UsageError naming the command and the field.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fodns::cli {

/// A duration: a decimal number and a unit, ms, s or m ("250ms", "1s", "1.5s", "1m").
/// It must come to a whole number of milliseconds, at most one day (86400000).
/// @return milliseconds, or nullopt if `text` is not such a duration.
std::optional<int64_t> parse_duration_ms(std::string_view text);

/// The shortest exact text parse_duration_ms reads back: 250 -> "250ms", 1500 -> "1.5s",
/// 60000 -> "1m", 90000 -> "90s".
std::string format_duration_ms(int64_t ms);

/// `field` (e.g. "--interval") as a duration; UsageError
/// "CMD: --interval '5x' is not a duration (use 250ms, 1s, 1m)".
int64_t duration_arg(std::string_view command, std::string_view field, std::string_view text);

/// `text` as a decimal integer within [lo, hi]; UsageError naming `field` otherwise.
int64_t int_arg(std::string_view command, std::string_view field, std::string_view text,
                int64_t lo, int64_t hi);

/// Unix milliseconds as ISO 8601 UTC: "2026-03-01T12:00:05Z", or with `millis`
/// "2026-03-01T12:00:05.123Z".
std::string format_utc(int64_t unix_ms, bool millis);

/// An age for people: "850ms", "42s", "3m12s", "2h05m", "3d04h".
std::string format_age(int64_t ms);

/// `text` made safe to quote in a one-line message: CR, LF, tab and other control
/// bytes as \r \n \t \xNN, so that a bad value cannot forge or split lines.
std::string printable(std::string_view text);

/// "owner\tttl\tIN\tTYPE\trdata", as dns::rr_to_text prints a record -> the rdata part.
std::string rdata_of_line(const std::string& line);

}  // namespace fodns::cli
