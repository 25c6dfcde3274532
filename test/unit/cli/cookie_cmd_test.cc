// `fodns cookie show|rotate|set` run in-process: a new database has one random secret;
// rotate makes a new one current and keeps exactly one previous; set installs a given
// secret (bad hex refused with exit 1, database unchanged); show prints secrets only
// with --secret.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include "cli_fixture.h"
#include "store/cookie_repo.h"

using namespace fodns;
using test::contains;

namespace {

std::vector<store::CookieSecret> secrets(const std::string& db_path) {
  store::Db db(db_path);
  return store::list_cookie_secrets(db, 10);
}

std::string hex(const std::array<uint8_t, 16>& s) {
  std::string out;
  for (uint8_t b : s) out += fmt::format("{:02x}", b);
  return out;
}

}  // namespace

TEST_CASE("cookie: a new database has a random secret; rotate keeps the previous one only") {
  test::CliFixture f;
  auto r = f.run({"cookie", "show"});
  REQUIRE_MESSAGE(r.code == cli::kExitOk, r.err);
  CHECK(contains(r.out, "current"));
  auto first = secrets(f.db());
  REQUIRE(first.size() == 1);
  CHECK(hex(first[0].secret) != std::string(32, '0'));
  CHECK_FALSE(contains(r.out, hex(first[0].secret)));  // not without --secret

  REQUIRE(f.run({"cookie", "rotate"}).code == cli::kExitOk);
  REQUIRE(f.run({"cookie", "rotate"}).code == cli::kExitOk);
  auto now = secrets(f.db());
  REQUIRE(now.size() == 2);
  CHECK(now[0].generation > now[1].generation);
  CHECK(now[0].secret != now[1].secret);
  CHECK(now[1].secret != first[0].secret);  // two rotations: the first one is gone

  r = f.run({"cookie", "show", "--secret", "--json"});
  REQUIRE(r.code == cli::kExitOk);
  CHECK(contains(r.out, "\"role\":\"current\""));
  CHECK(contains(r.out, hex(now[0].secret)));
  CHECK(contains(r.out, hex(now[1].secret)));
}

TEST_CASE("cookie set: 32 hex digits become current; anything else is refused, nothing changes") {
  test::CliFixture f;
  REQUIRE(f.run({"cookie", "show"}).code == cli::kExitOk);
  auto before = secrets(f.db());
  for (const char* bad : {"00112233", "zz112233445566778899aabbccddeeff",
                          "00112233445566778899aabbccddeeff00"}) {
    CAPTURE(bad);
    auto r = f.run({"cookie", "set", bad});
    CHECK(r.code == cli::kExitUsage);
    CHECK(contains(r.err, "32 hex digits"));
  }
  CHECK(f.run({"cookie", "set"}).code == cli::kExitUsage);
  CHECK(secrets(f.db()).size() == before.size());
  auto r = f.run({"cookie", "set", "E5E973E5A6B2A43F48E7DC849E37BFCF"});
  REQUIRE_MESSAGE(r.code == cli::kExitOk, r.err);
  auto now = secrets(f.db());
  REQUIRE(now.size() == 2);
  CHECK(hex(now[0].secret) == "e5e973e5a6b2a43f48e7dc849e37bfcf");
  CHECK(now[1].secret == before[0].secret);
  CHECK(f.run({"cookie", "frobnicate"}).code == cli::kExitUsage);
}
