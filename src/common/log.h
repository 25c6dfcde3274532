// Logging: one line per event, every field key=value (logfmt), to stderr:
//   ts=2026-03-01T12:00:05.123Z level=info msg="serving" listen=127.0.0.1:5353 ...
// Callers pass the fields after ts/level, starting with msg="..."; a message that does
// not start with a key= field is wrapped as msg="..." so that every line stays parseable.
// Thread-safe (one write(2) per line). The per-query path logs only sampled queries
// (`fodns serve --log-queries`), through a stack buffer, never through these templates.
#pragma once

#include <string>
#include <string_view>

#include <fmt/format.h>

namespace fodns::log {

enum class Level { Debug = 0, Info = 1, Warn = 2, Error = 3 };

void set_level(Level level);
Level level();
bool parse_level(std::string_view text, Level* out);
/// "debug", "info", "warn" or "error".
const char* level_name(Level level);
/// Writes one line: `ts=... level=... FIELDS`. Newlines in `fields` are escaped.
void write(Level level, std::string_view fields);

/// A value for a key=value field: bare if it is non-empty and has no blank, quote,
/// backslash, '=' or control character, else double-quoted with \" \\ \n \r \t escaped.
std::string quote(std::string_view value);

template <typename... Args>
void debug(fmt::format_string<Args...> f, Args&&... args) {
  if (level() <= Level::Debug) write(Level::Debug, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void info(fmt::format_string<Args...> f, Args&&... args) {
  if (level() <= Level::Info) write(Level::Info, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void warn(fmt::format_string<Args...> f, Args&&... args) {
  if (level() <= Level::Warn) write(Level::Warn, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void error(fmt::format_string<Args...> f, Args&&... args) {
  write(Level::Error, fmt::format(f, std::forward<Args>(args)...));
}

}  // namespace fodns::log
