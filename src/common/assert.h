// Two assertion macros (see STYLE.md §6):
//  FODNS_REQUIRE(x): always fatal; for invariants whose failure makes continuing unsafe.
//  FODNS_BUG(x):     aborts in debug builds, logs and counts in release builds.
// Never use either on input we do not control (packets, SIP replies, CLI input).
#pragma once

#include <atomic>
#include <cstdint>

namespace fodns {

[[noreturn]] void require_failed(const char* expr, const char* file, int line);
void bug_detected(const char* expr, const char* file, int line);
uint64_t bugs_detected();

}  // namespace fodns

#define FODNS_REQUIRE(x) \
  ((x) ? static_cast<void>(0) : ::fodns::require_failed(#x, __FILE__, __LINE__))
#define FODNS_BUG(x) ((x) ? static_cast<void>(0) : ::fodns::bug_detected(#x, __FILE__, __LINE__))
