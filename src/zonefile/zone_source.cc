#include "zonefile/zone_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace fodns::zonefile {

namespace {

struct Fd {
  int fd;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

std::string size_text(uint64_t bytes) {
  if (bytes % (1 << 20) == 0) return fmt::format("{} MiB", bytes >> 20);
  return fmt::format("{} bytes", bytes);
}

}  // namespace

Result<std::string> read_zone_source(const std::string& path, uint64_t max_bytes) {
  // stat() before open(): opening a device can have effects (a tape rewinds), and a FIFO's
  // open waits for its writer, as `cat` does.
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return make_error("{}: cannot stat: {}", path, strerror(errno));
  if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode)) {
    return make_error("{}: not a regular file or pipe", path);
  }
  Fd f{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  if (f.fd < 0) return make_error("{}: cannot open: {}", path, strerror(errno));
  // The path may have been replaced in between: the limits apply to what was opened.
  if (::fstat(f.fd, &st) != 0) return make_error("{}: cannot stat: {}", path, strerror(errno));
  bool regular = S_ISREG(st.st_mode);
  if (!regular && !S_ISFIFO(st.st_mode)) {
    return make_error("{}: not a regular file or pipe", path);
  }
  if (regular && static_cast<uint64_t>(st.st_size) > max_bytes) {
    return make_error("{}: {} bytes is over the {} limit (--max-size)", path, st.st_size,
                      size_text(max_bytes));
  }
  std::string data;
  if (regular) data.reserve(static_cast<size_t>(st.st_size));
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(f.fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return make_error("{}: read error: {}", path, strerror(errno));
    if (n == 0) break;
    // A pipe or a file that grows while read: stop at the limit, never read on.
    if (data.size() + static_cast<size_t>(n) > max_bytes) {
      return make_error("{}: more than the {} limit (--max-size)", path, size_text(max_bytes));
    }
    data.append(buf, static_cast<size_t>(n));
  }
  return data;
}

Result<std::vector<std::string>> expand_zone_paths(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  for (const auto& a : args) {
    std::error_code ec;
    if (!std::filesystem::is_directory(a, ec)) {
      out.push_back(a);
      continue;
    }
    std::vector<std::string> files;
    for (const auto& e : std::filesystem::directory_iterator(a, ec)) {
      if (e.path().filename().string().starts_with('.')) continue;
      if (e.is_regular_file(ec)) files.push_back(e.path().string());
    }
    if (ec) return make_error("{}: cannot list: {}", a, ec.message());
    if (files.empty()) return make_error("{}: no zone files in this directory", a);
    std::sort(files.begin(), files.end());
    out.insert(out.end(), files.begin(), files.end());
  }
  return out;
}

}  // namespace fodns::zonefile
