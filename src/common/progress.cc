#include "common/progress.h"

#include <unistd.h>

#include <charconv>
#include <cstdlib>

#include <fmt/format.h>

#include "common/log.h"

namespace fodns::progress {
namespace {

thread_local Task* t_current = nullptr;

// A terminal line is redrawn at most this often: fast enough to look alive, rare enough
// to cost nothing next to the work.
constexpr std::chrono::milliseconds kTtyInterval{100};
// On a log, one line per 5 s: a 10 s start-up gets one or two lines, a 1 s one none.
constexpr std::chrono::milliseconds kLogInterval{5000};
// The clock is read once per this many set() calls (set() runs once per record).
constexpr uint32_t kClockEvery = 64;

std::chrono::milliseconds log_interval() {
  // For tests only: make the non-terminal lines come sooner than real work would need.
  if (const char* e = std::getenv("FODNS_PROGRESS_INTERVAL_MS"); e && *e) {
    int64_t ms = 0;
    auto [p, ec] = std::from_chars(e, e + std::char_traits<char>::length(e), ms);
    if (ec == std::errc() && *p == '\0' && ms > 0) return std::chrono::milliseconds(ms);
  }
  return kLogInterval;
}

void write_stderr(std::string_view s) {
  ssize_t ignored = ::write(STDERR_FILENO, s.data(), s.size());
  (void)ignored;
}

}  // namespace

Task::Task(std::string_view what)
    : what_(what),
      tty_(::isatty(STDERR_FILENO) == 1),
      interval_(tty_ ? kTtyInterval : log_interval()),
      start_(std::chrono::steady_clock::now()),
      last_(start_),
      outer_(t_current) {
  t_current = this;
}

Task::~Task() {
  finish();
  t_current = outer_;
}

void Task::phase(std::string_view name, uint64_t total, std::string_view unit) {
  phase_ = name;
  unit_ = unit;
  total_ = total;
  done_ = 0;
  calls_ = 0;
  maybe_print(false);
}

void Task::set(uint64_t done) {
  done_ = done;
  if (++calls_ % kClockEvery == 0) maybe_print(false);
}

std::string Task::line() const {
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  if (tty_) {
    std::string s = fmt::format("{}: {}", what_, phase_);
    if (total_ > 0) {
      s += fmt::format(" {}/{} {} ({}%)", done_, total_, unit_, done_ * 100 / total_);
    } else if (done_ > 0) {
      s += fmt::format(" {} {}", done_, unit_);
    }
    return s + fmt::format(" {:.1f}s", secs);
  }
  std::string s = fmt::format("msg=\"progress\" task={} phase={} done={}", log::quote(what_),
                              log::quote(phase_), done_);
  if (total_ > 0) s += fmt::format(" total={} percent={}", total_, done_ * 100 / total_);
  return s + fmt::format(" unit={} elapsed_s={:.1f}", log::quote(unit_), secs);
}

void Task::maybe_print(bool force) {
  if (finished_) return;
  auto now = std::chrono::steady_clock::now();
  // Nothing during the first interval: short work stays silent.
  if (!force && (now - last_ < interval_ || now - start_ < interval_)) return;
  last_ = now;
  printed_ = true;
  if (tty_) {
    // \r and "erase to end of line" (ESC [ K): the line is rewritten in place.
    write_stderr("\r" + line() + "\x1b[K");
  } else {
    log::info("{}", line());
  }
}

void Task::finish() {
  if (finished_) return;
  if (printed_) {
    if (tty_) {
      write_stderr("\r\x1b[K");
    } else {
      phase_ = "done";
      total_ = 0;
      log::info("{}", line());
    }
  }
  finished_ = true;
}

void phase(std::string_view name, uint64_t total, std::string_view unit) {
  if (t_current) t_current->phase(name, total, unit);
}
void set(uint64_t done) {
  if (t_current) t_current->set(done);
}
void advance(uint64_t n) {
  if (t_current) t_current->advance(n);
}

}  // namespace fodns::progress
