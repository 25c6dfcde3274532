#include "common/log.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <iterator>
#include <string>

#include "common/assert.h"

namespace fodns::log {
namespace {
std::atomic<int> g_level{static_cast<int>(Level::Info)};
constexpr const char* kNames[] = {"debug", "info", "warn", "error"};

// True if `s` starts with a logfmt key ("msg=", "error=", ...): [a-z_][a-z0-9_.]*=
bool starts_with_key(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && ((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_' || s[i] == '.' ||
                          (i > 0 && s[i] >= '0' && s[i] <= '9'))) {
    ++i;
  }
  return i > 0 && i < s.size() && s[i] == '=';
}

bool needs_quotes(std::string_view v) {
  if (v.empty()) return true;
  for (char c : v) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == '"' || c == '\\' || c == '=' || c == 0x7f) {
      return true;
    }
  }
  return false;
}

template <typename Out>
void append_escaped(Out& out, std::string_view v) {
  for (char c : v) {
    switch (c) {
      case '"': out.append(std::string_view("\\\"")); break;
      case '\\': out.append(std::string_view("\\\\")); break;
      case '\n': out.append(std::string_view("\\n")); break;
      case '\r': out.append(std::string_view("\\r")); break;
      case '\t': out.append(std::string_view("\\t")); break;
      default: out.push_back(c);
    }
  }
}
}  // namespace

void set_level(Level l) { g_level.store(static_cast<int>(l), std::memory_order_relaxed); }
Level level() { return static_cast<Level>(g_level.load(std::memory_order_relaxed)); }
const char* level_name(Level l) { return kNames[static_cast<int>(l)]; }

bool parse_level(std::string_view text, Level* out) {
  for (int i = 0; i < 4; ++i) {
    if (text == kNames[i]) {
      *out = static_cast<Level>(i);
      return true;
    }
  }
  return false;
}

std::string quote(std::string_view v) {
  if (!needs_quotes(v)) return std::string(v);
  std::string out = "\"";
  append_escaped(out, v);
  out += '"';
  return out;
}

void write(Level l, std::string_view fields) {
  auto now = std::chrono::system_clock::now();
  auto secs = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  // memory_buffer keeps up to 500 bytes inline: a typical line costs no heap allocation.
  fmt::memory_buffer line;
  fmt::format_to(std::back_inserter(line), "ts={:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z level={} ",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms,
                 kNames[static_cast<int>(l)]);
  if (starts_with_key(fields)) {
    // Fields are the caller's; only line breaks are escaped, so that an event stays one line.
    for (char c : fields) {
      if (c == '\n') line.append(std::string_view("\\n"));
      else if (c == '\r') line.append(std::string_view("\\r"));
      else line.push_back(c);
    }
  } else {
    line.append(std::string_view("msg=\""));
    append_escaped(line, fields);
    line.push_back('"');
  }
  line.push_back('\n');
  // One write(2) per line keeps lines from different threads whole.
  ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
  (void)ignored;
}

}  // namespace fodns::log

namespace fodns {
namespace {
std::atomic<uint64_t> g_bugs{0};
}

void require_failed(const char* expr, const char* file, int line) {
  log::error("msg=\"fatal: requirement failed\" expr={} at={}:{}", log::quote(expr), file, line);
  std::abort();
}

void bug_detected(const char* expr, const char* file, int line) {
  g_bugs.fetch_add(1, std::memory_order_relaxed);
  log::error("msg=\"bug: assertion failed\" expr={} at={}:{}", log::quote(expr), file, line);
#ifndef NDEBUG
  std::abort();
#endif
}

uint64_t bugs_detected() { return g_bugs.load(std::memory_order_relaxed); }

}  // namespace fodns
