// Replays a corpus without a fuzzer (model: pdns standalone_fuzz_target_runner.cc):
// calls LLVMFuzzerTestOneInput once per file named on the command line, or per file
// in each directory named there (not recursive). Used by `meson test --suite fuzz-corpus`.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

static void run_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<uint8_t> buf((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.eof() && in.fail()) {
    std::fprintf(stderr, "cannot read %s\n", path.c_str());
    std::exit(2);
  }
  // A copy of exactly the file's size, so that a read past the end is an ASan error.
  std::unique_ptr<uint8_t[]> copy(new uint8_t[buf.size()]);
  if (!buf.empty()) std::memcpy(copy.get(), buf.data(), buf.size());
  LLVMFuzzerTestOneInput(copy.get(), buf.size());
}

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
  size_t count = 0;
  for (int i = 1; i < argc; ++i) {
    std::filesystem::path p(argv[i]);
    if (std::filesystem::is_directory(p)) {
      std::vector<std::filesystem::path> files;
      for (const auto& e : std::filesystem::directory_iterator(p))
        if (e.is_regular_file()) files.push_back(e.path());
      std::sort(files.begin(), files.end());
      for (const auto& f : files) {
        std::fprintf(stderr, "%s\n", f.c_str());
        run_file(f);
        ++count;
      }
    } else {
      run_file(p);
      ++count;
    }
  }
  std::printf("%zu inputs run\n", count);
  return count > 0 ? 0 : 1;
}
