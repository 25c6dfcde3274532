#include "common/log.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <string>

#include "common/assert.h"

namespace fodns::log {
namespace {
std::atomic<int> g_level{static_cast<int>(Level::Info)};
constexpr const char* kNames[] = {"debug", "info", "warn", "error"};
}  // namespace

void set_level(Level l) { g_level.store(static_cast<int>(l), std::memory_order_relaxed); }
Level level() { return static_cast<Level>(g_level.load(std::memory_order_relaxed)); }

bool parse_level(std::string_view text, Level* out) {
  for (int i = 0; i < 4; ++i) {
    if (text == kNames[i]) {
      *out = static_cast<Level>(i);
      return true;
    }
  }
  return false;
}

void write(Level l, std::string_view message) {
  auto now = std::chrono::system_clock::now();
  auto secs = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  std::string line = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z {} {}\n", tm.tm_year + 1900,
                                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms,
                                 kNames[static_cast<int>(l)], message);
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
  log::error("fatal: requirement failed: {} at {}:{}", expr, file, line);
  std::abort();
}

void bug_detected(const char* expr, const char* file, int line) {
  g_bugs.fetch_add(1, std::memory_order_relaxed);
  log::error("bug: assertion failed: {} at {}:{}", expr, file, line);
#ifndef NDEBUG
  std::abort();
#endif
}

uint64_t bugs_detected() { return g_bugs.load(std::memory_order_relaxed); }

}  // namespace fodns
