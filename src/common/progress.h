// Progress of long work (a big `zone import`, `fodns serve` loading a big database).
// On a terminal (stderr is a tty) one status line, rewritten with \r at most every 100 ms
// and erased when the work ends. Otherwise a log line (msg="progress", key=value fields)
// every 5 s, and nothing at all for work that ends sooner: logs and pipes get no noise.
//
// A Task is created by the command that owns the work; code deep in a library (the zone
// parser, the store, the snapshot builder) reports through the free functions, which act
// on the current thread's Task and do nothing when there is none.
// Threading: a Task belongs to the thread that created it. Never used on the query path.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace fodns::progress {

class Task {
 public:
  /// `what` names the work in the line, e.g. "importing big.zone".
  explicit Task(std::string_view what);
  ~Task();  // finish()
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;

  /// Starts a phase: `name` ("parsing"), `total` units of work (0: unknown), `unit`.
  void phase(std::string_view name, uint64_t total, std::string_view unit);
  void set(uint64_t done);
  void advance(uint64_t n) { set(done_ + n); }
  /// Erases the terminal line; on a log, writes a last line if any was written.
  void finish();

 private:
  void maybe_print(bool force);
  std::string line() const;

  std::string what_, phase_, unit_;
  uint64_t total_ = 0, done_ = 0;
  bool tty_ = false, finished_ = false, printed_ = false;
  std::chrono::milliseconds interval_;
  std::chrono::steady_clock::time_point start_, last_;
  uint32_t calls_ = 0;
  Task* outer_ = nullptr;
};

/// The current thread's Task, or no-ops.
void phase(std::string_view name, uint64_t total = 0, std::string_view unit = "records");
void set(uint64_t done);
void advance(uint64_t n = 1);

}  // namespace fodns::progress
