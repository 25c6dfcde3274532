// `zone import`: what it reads (issue 14: /dev/zero was read until stopped) and bulk import in
// one transaction (issue 11 item 6): several files or a directory, all or nothing.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <thread>

#include "cli_fixture.h"

using namespace fodns;
using test::contains;

namespace {
std::string zone_text(const std::string& origin) {
  return "$ORIGIN " + origin + "\n$TTL 300\n@ IN SOA ns1 hostmaster 1 3600 600 1209600 30\n"
         "  IN NS ns1\nns1 IN A 192.0.2.1\nsip 30 IN A 192.0.2.10\n";
}
}  // namespace

TEST_CASE("zone import: a device is refused before anything is read") {
  test::CliFixture f;
  std::string before = f.dump();
  auto r = f.run({"zone", "import", "/dev/zero", "--origin", "x."});
  CHECK(r.code == cli::kExitData);
  CHECK_MESSAGE(contains(r.err, "/dev/zero: not a regular file or pipe"), r.err);
  CHECK(f.dump() == before);
}

TEST_CASE("zone import: files and pipes are read up to --max-size MiB") {
  test::CliFixture f;
  std::string big = zone_text("big.example.") + std::string(2 << 20, ';') + "\n";
  auto r = f.run({"zone", "import", f.write("big.zone", big), "--max-size", "1"});
  CHECK(r.code == cli::kExitData);
  CHECK_MESSAGE(contains(r.err, "big.zone: 2097283 bytes is over the 1 MiB limit (--max-size)"), r.err);
  CHECK(f.run({"zone", "import", f.write("big.zone", big), "--max-size", "3"}).code == 0);

  // A pipe that never ends: reading stops at the limit.
  std::string fifo = f.write("pipe.zone", "");
  std::filesystem::remove(fifo);
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  signal(SIGPIPE, SIG_IGN);  // the writer sees EPIPE when the import stops reading
  std::thread writer([&] {
    int fd = open(fifo.c_str(), O_WRONLY);
    std::string chunk(1 << 16, ';');
    while (fd >= 0 && write(fd, chunk.data(), chunk.size()) > 0) {}
    if (fd >= 0) close(fd);
  });
  r = f.run({"zone", "import", fifo, "--max-size", "1"});
  writer.join();
  CHECK(r.code == cli::kExitData);
  CHECK_MESSAGE(contains(r.err, "pipe.zone: more than the 1 MiB limit (--max-size)"), r.err);
  auto list = f.run({"zone", "list"}).out;
  CHECK(contains(list, "big.example."));
  CHECK(std::count(list.begin(), list.end(), '\n') == 2);  // the header and big.example.
}

TEST_CASE("zone import: several files and a directory in one transaction") {
  test::CliFixture f;
  std::string dir = std::filesystem::path(f.write("x", "")).parent_path() / "zones";
  std::filesystem::create_directory(dir);
  for (const char* z : {"b.example.", "a.example."}) {
    std::ofstream(dir + "/" + z + "zone") << zone_text(z);
  }
  std::ofstream(dir + "/.hidden") << "not a zone";
  std::string c = f.write("c.zone", zone_text("c.example."));
  auto r = f.run({"zone", "import", dir, c});
  REQUIRE_MESSAGE(r.code == 0, r.err);
  CHECK(r.out == "imported a.example. (4 records, serial 1)\n"
                 "imported b.example. (4 records, serial 1)\n"
                 "imported c.example. (4 records, serial 1)\n"
                 "imported 3 zones, 12 records, in one transaction\n");
  CHECK(contains(f.run({"zone", "list"}).out, "c.example."));
}

TEST_CASE("zone import: one bad file refuses all of them, naming it") {
  test::CliFixture f;
  std::string a = f.write("a.zone", zone_text("a.example."));
  std::string bad = f.write("bad.zone", zone_text("bad.example.") + "x 60 MX 65536 ns1\n");
  std::string before = f.dump();
  auto r = f.run({"zone", "import", a, bad});
  CHECK(r.code == cli::kExitData);
  CHECK_MESSAGE(contains(r.err, "bad.zone:7: MX preference 65536 is out of range"), r.err);
  CHECK(f.dump() == before);
  // The same zone twice, and a zone that exists without --replace.
  r = f.run({"zone", "import", a, f.write("a2.zone", zone_text("a.example."))});
  CHECK(r.code == cli::kExitData);
  CHECK_MESSAGE(contains(r.err, "a2.zone: zone a.example. is also in"), r.err);
  CHECK(f.dump() == before);
  REQUIRE(f.run({"zone", "import", a}).code == 0);
  before = f.dump();
  r = f.run({"zone", "import", f.write("b.zone", zone_text("b.example.")), a});
  CHECK(r.code == cli::kExitData);
  CHECK(contains(r.err, "a.zone: zone a.example. already exists"));
  CHECK(f.dump() == before);
  r = f.run({"zone", "import", a, bad, "--origin", "a.example."});
  CHECK(r.code == cli::kExitUsage);
  CHECK(contains(r.err, "--origin needs exactly one FILE"));
}
