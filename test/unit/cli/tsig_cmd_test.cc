// `fodns tsig add|list|rm` run in-process: --generate makes a secret of the algorithm's
// length and prints it once with config snippets; --secret is validated; `list` never
// prints a secret; `rm` is refused (exit 2, naming the zone) while an ACL names the key;
// every refusal leaves the database unchanged.
#include <doctest/doctest.h>
#include <fmt/format.h>

#include "common/base64.h"
#include "cli_fixture.h"
#include "mini_json.h"
#include "store/transfer_repo.h"

using namespace fodns;
using test::contains;

namespace {

constexpr const char* kSecret16 = "MDEyMzQ1Njc4OWFiY2RlZg==";  // "0123456789abcdef"

std::optional<store::TsigKey> key(const std::string& db_path, const char* name) {
  store::Db db(db_path);
  return store::find_tsig_key(db, name);
}

}  // namespace

TEST_CASE("tsig add --generate: the algorithm's length, printed once, with snippets") {
  test::CliFixture f;
  const std::pair<const char*, size_t> lengths[] = {{"hmac-sha256", 32}, {"hmac-sha512", 64},
                                                    {"hmac-sha384", 48}, {"hmac-sha224", 28},
                                                    {"hmac-sha1", 20}};
  for (auto [alg, bytes] : lengths) {
    CAPTURE(alg);
    std::string name = std::string("k-") + alg;
    auto r = f.run({"tsig", "add", name, "--algorithm", alg, "--generate"});
    REQUIRE_MESSAGE(r.code == cli::kExitOk, r.err);
    auto k = key(f.db(), (name + ".").c_str());
    REQUIRE(k);
    CHECK(k->algorithm == alg);
    auto secret = fodns::base64_decode(k->secret);
    REQUIRE(secret);
    CHECK(secret->size() == bytes);
    CHECK(contains(r.out, fmt::format("added TSIG key {}. ({})\n", name, alg)));
    CHECK(contains(r.out, "secret: " + k->secret + "\n"));
    CHECK(contains(r.out, "    secret: " + k->secret + "\n"));              // Knot
    CHECK(contains(r.out, "    secret: \"" + k->secret + "\"\n"));          // NSD
    CHECK(contains(r.out, "    secret \"" + k->secret + "\";\n"));          // BIND
    CHECK(contains(r.out, fmt::format("key \"{}.\" {{\n    algorithm {};", name, alg)));
  }
  // Default algorithm, name normalised; two generated secrets differ.
  auto r = f.run({"tsig", "add", "XFR-Key", "--generate"});
  REQUIRE_MESSAGE(r.code == cli::kExitOk, r.err);
  CHECK(contains(r.out, "added TSIG key xfr-key. (hmac-sha256)\n"));
  REQUIRE(f.run({"tsig", "add", "other", "--generate"}).code == 0);
  CHECK(key(f.db(), "xfr-key.")->secret != key(f.db(), "other.")->secret);
}

TEST_CASE("tsig add --secret: stored canonical, never echoed") {
  test::CliFixture f;
  auto r = f.run({"tsig", "add", "xfr.", "--secret", kSecret16, "--algorithm", "hmac-sha512"});
  REQUIRE_MESSAGE(r.code == cli::kExitOk, r.err);
  CHECK(r.out == "added TSIG key xfr. (hmac-sha512)\n");
  CHECK(key(f.db(), "xfr.")->secret == kSecret16);
  // Non-canonical trailing bits ("...Zh==" has bits the decoder drops) are stored canonical.
  REQUIRE(f.run({"tsig", "add", "k2", "--secret", "MDEyMzQ1Njc4OWFiY2RlZh=="}).code == 0);
  CHECK(key(f.db(), "k2.")->secret == kSecret16);
}

TEST_CASE("tsig add: each bad argument exits 1 or 2 with its reason and changes nothing") {
  test::CliFixture f;
  REQUIRE(f.run({"tsig", "add", "xfr", "--secret", kSecret16}).code == 0);
  std::string before = f.dump();
  struct Case {
    std::vector<std::string> args;
    int code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"tsig", "add", "k", "--secret", "MDEyMzQ1Njc4OWFiY2Rl"}, 1,
       "tsig add: --secret is 15 bytes decoded; at least 16 are required (use --generate)"},
      {{"tsig", "add", "k", "--secret", "not base64!"}, 1, "tsig add: --secret is not base64"},
      {{"tsig", "add", "k", "--secret", "MDEyMzQ1Njc4OWFiY2RlZg"}, 1,
       "tsig add: --secret is not base64"},
      {{"tsig", "add", "k"}, 1, "tsig add: give exactly one of --secret BASE64 and --generate"},
      {{"tsig", "add", "k", "--secret", kSecret16, "--generate"}, 1,
       "tsig add: give exactly one of --secret BASE64 and --generate"},
      {{"tsig", "add", "k", "--generate", "--algorithm", "hmac-md5"}, 1,
       "tsig add: --algorithm 'hmac-md5' is not one of hmac-sha256, hmac-sha512"},
      {{"tsig", "add", "--generate"}, 1, "tsig add: NAME is missing"},
      {{"tsig", "add", "a..b", "--generate"}, 1, "tsig add: NAME"},
      {{"tsig", "add", "k", "extra", "--generate"}, 1, "tsig add: unexpected argument 'extra'"},
      {{"tsig", "add", "XFR.", "--generate"}, 2,
       "tsig add: TSIG key xfr. already exists (remove it first with `tsig rm`)"},
      {{"tsig", "frob"}, 1, "tsig: unknown subcommand 'frob'"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.message);
    auto r = f.run(c.args);
    CHECK(r.code == c.code);
    CHECK_MESSAGE(contains(r.err, c.message), r.err);
    CHECK(r.out.empty());  // no secret, no snippet on a refusal
    CHECK_FALSE(contains(r.err, kSecret16));
    CHECK(f.dump() == before);
  }
}

TEST_CASE("tsig list: names, algorithms and zones, never a secret") {
  test::CliFixture f;
  REQUIRE(f.import(test::kGovernedZone).code == 0);
  auto gen = f.run({"tsig", "add", "b-key", "--generate", "--algorithm", "hmac-sha512"});
  REQUIRE(gen.code == 0);
  REQUIRE(f.run({"tsig", "add", "a-key", "--secret", kSecret16}).code == 0);
  REQUIRE(f.run({"zone", "set", "example.net", "--allow-transfer", "key:b-key"}).code == 0);
  std::vector<std::string> secrets = {kSecret16, key(f.db(), "b-key.")->secret};

  auto r = f.run({"tsig", "list"});
  REQUIRE(r.code == 0);
  CHECK(r.out ==
        "NAME    ALGORITHM    ZONES\n"
        "a-key.  hmac-sha256  -\n"
        "b-key.  hmac-sha512  example.net.\n");
  auto j = f.run({"tsig", "list", "--json"});
  REQUIRE(j.code == 0);
  auto json = test::JsonReader::parse(j.out);
  REQUIRE(json.array.size() == 2);
  CHECK(json[0]["name"].string == "a-key.");
  CHECK(json[0]["algorithm"].string == "hmac-sha256");
  CHECK(json[0]["zones"].array.empty());
  CHECK(json[1]["zones"][0].string == "example.net.");
  CHECK_FALSE(json[0].has("secret"));
  for (const auto& s : secrets) {
    CHECK_FALSE(contains(r.out + r.err + j.out + j.err, s));
    // Nor does anything else that lists or shows: only `add --generate` prints a secret.
    for (auto args : std::vector<std::vector<std::string>>{
             {"zone", "show", "example.net"}, {"zone", "list", "--json"}, {"status", "--json"}}) {
      auto o = f.run(args);
      CHECK_FALSE(contains(o.out + o.err, s));
    }
  }
}

TEST_CASE("tsig rm: removes an unused key; refused with exit 2 while an ACL names it") {
  test::CliFixture f;
  REQUIRE(f.import(test::kGovernedZone).code == 0);
  REQUIRE(f.run({"tsig", "add", "xfr", "--generate"}).code == 0);
  REQUIRE(f.run({"zone", "set", "example.net", "--allow-transfer", "192.0.2.0/24+key:xfr"}).code == 0);
  std::string before = f.dump();
  auto r = f.run({"tsig", "rm", "XFR"});
  CHECK(r.code == cli::kExitData);
  CHECK(contains(r.err, "tsig rm: TSIG key xfr. is used by the transfer ACL of zone example.net."));
  CHECK(f.dump() == before);
  r = f.run({"tsig", "rm", "nokey"});
  CHECK(r.code == cli::kExitData);
  CHECK(contains(r.err, "tsig rm: no TSIG key nokey."));
  CHECK(f.dump() == before);

  REQUIRE(f.run({"zone", "set", "example.net", "--no-allow-transfer"}).code == 0);
  r = f.run({"tsig", "rm", "xfr"});
  REQUIRE_MESSAGE(r.code == 0, r.err);
  CHECK(r.out == "removed TSIG key xfr.\n");
  CHECK_FALSE(key(f.db(), "xfr."));
}

TEST_CASE("fodns --help lists the tsig and zone transfer commands") {
  test::CliFixture f;
  auto r = f.run({"--help"});
  REQUIRE(r.code == 0);
  for (const char* s : {"tsig add NAME", "tsig list", "tsig rm NAME", "zone set NAME", "zone show NAME"}) {
    CHECK_MESSAGE(contains(r.out, s), s);
  }
  CHECK(f.run({"tsig", "--help"}).code == 0);
  CHECK(f.run({"tsig", "add", "--help"}).code == 0);
  CHECK(f.run({"zone", "set", "--help"}).code == 0);
  CHECK(f.run({"tsig"}).code == cli::kExitUsage);
}
