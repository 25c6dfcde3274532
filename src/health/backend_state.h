// BackendState: the last known health of one backend as it is saved (the
// backend_state row of schema/002_backends.sql) and shown by `fodns status`.
// The health table keeps one per backend; store/ reads and writes the rows.
// Threading: a plain value.
#pragma once

#include <cstdint>
#include <string>

namespace fodns::health {

struct BackendState {
  int64_t backend_id = 0;
  std::string state = "unknown";      // unknown | up | down
  int64_t since_ms = 0;
  int64_t last_check_ms = 0;          // 0: never
  int64_t last_rtt_us = -1;           // -1: none
  std::string last_result;            // ok, timeout, refused ...
  std::string last_error;
  int successes = 0;
  int failures = 0;
};

}  // namespace fodns::health
