// `fodns tsig add|list|rm`: the TSIG keys (RFC 8945) that transfer ACLs name and NOTIFY
// signs with. A secret is printed once, by `add --generate`; `list` never prints one.
#include <sys/random.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "common/base64.h"
#include "cli/cli_common.h"
#include "store/transfer_repo.h"
#include "store/zone_repo.h"

namespace fodns::cli {

namespace {

constexpr std::string_view kTsigUsage =
    "Usage: fodns [--db PATH] tsig SUBCOMMAND ...\n"
    "  add NAME [--algorithm ALG] (--secret BASE64 | --generate)   add a key\n"
    "  list [--json]                    list keys: name, algorithm, zones using it (no secrets)\n"
    "  rm NAME                          remove a key (refused while a zone's ACL names it)\n"
    "Run `fodns tsig SUBCOMMAND --help` for its options.\n";

// The HMAC output length of each algorithm: a generated secret as long as the hash is what
// RFC 2104 §3 recommends (a longer one adds no strength, a shorter one weakens it).
struct Algorithm {
  std::string_view name;
  size_t bytes;
};
constexpr Algorithm kAlgorithms[] = {{"hmac-sha256", 32}, {"hmac-sha512", 64}, {"hmac-sha384", 48},
                                     {"hmac-sha224", 28}, {"hmac-sha1", 20}};
// Below 128 bits a secret is guessable offline from one signed message.
constexpr size_t kMinSecretBytes = 16;

const Algorithm& algorithm_arg(std::string_view command, const std::string& text) {
  for (const auto& a : kAlgorithms) {
    if (text == a.name) return a;
  }
  throw UsageError(fmt::format(
      "{}: --algorithm '{}' is not one of hmac-sha256, hmac-sha512, hmac-sha384, hmac-sha224, "
      "hmac-sha1",
      command, text));
}

std::vector<uint8_t> random_bytes(size_t n) {
  std::vector<uint8_t> out(n);
  size_t got = 0;
  while (got < n) {
    // Blocks only until the kernel's pool is first initialised (flags 0), then never.
    ssize_t r = getrandom(out.data() + got, n - got, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) throw std::runtime_error(fmt::format("getrandom: {}", std::strerror(errno)));
    got += static_cast<size_t>(r);
  }
  return out;
}

cxxopts::Options name_options(const char* program, const char* description) {
  cxxopts::Options opts(program, description);
  opts.custom_help("[OPTIONS]");
  opts.positional_help("NAME");
  opts.add_options()("h,help", "print this help")("name", "key name", cxxopts::value<std::string>());
  opts.parse_positional({"name"});
  return opts;
}

std::string name_of(std::string_view command, const cxxopts::ParseResult& r) {
  if (!r.count("name")) throw UsageError(fmt::format("{}: NAME is missing", command));
  return zone_name_arg(command, r["name"].as<std::string>());
}

void print_snippets(const Context& ctx, const store::TsigKey& k) {
  ctx.out << fmt::format(
      "secret: {2}\n"
      "This is the only time the secret is shown. Configure the secondaries with it:\n"
      "# Knot DNS (knot.conf)\n"
      "key:\n"
      "  - id: {0}\n"
      "    algorithm: {1}\n"
      "    secret: {2}\n"
      "# NSD (nsd.conf)\n"
      "key:\n"
      "    name: \"{0}\"\n"
      "    algorithm: {1}\n"
      "    secret: \"{2}\"\n"
      "# BIND (named.conf)\n"
      "key \"{0}\" {{\n"
      "    algorithm {1};\n"
      "    secret \"{2}\";\n"
      "}};\n",
      k.name, k.algorithm, k.secret);
}

int tsig_add(const Context& ctx, int argc, char** argv) {
  constexpr std::string_view kCmd = "tsig add";
  auto opts = name_options(
      "fodns tsig add",
      "Add a TSIG key (RFC 8945) for zone transfers and NOTIFY.\n"
      "  NAME  a domain name, stored lowercase and absolute (\"Xfr-Key\" -> \"xfr-key.\")\n"
      "Give exactly one of --secret and --generate. --generate prints the new secret once,\n"
      "with Knot, NSD and BIND configuration snippets. A --secret on the command line can\n"
      "be seen by other local users (ps, shell history): prefer --generate.");
  opts.add_options()
      ("algorithm", "hmac-sha256, hmac-sha512, hmac-sha384, hmac-sha224 or hmac-sha1",
       cxxopts::value<std::string>()->default_value("hmac-sha256"), "ALG")
      ("secret", "the secret, base64, at least 16 bytes decoded (required unless --generate)", cxxopts::value<std::string>(),
       "BASE64")
      ("generate", "make a random secret as long as the algorithm's output (getrandom) and print it once "
                   "(default: off)");
  auto r = parse_options(opts, kCmd, argc, argv);
  if (print_help(r, opts, ctx)) return kExitOk;
  store::TsigKey key;
  key.name = name_of(kCmd, r);
  const Algorithm& alg = algorithm_arg(kCmd, r["algorithm"].as<std::string>());
  key.algorithm = std::string(alg.name);
  bool generate = r.count("generate") > 0;
  if (generate == (r.count("secret") > 0)) {
    throw UsageError(fmt::format("{}: give exactly one of --secret BASE64 and --generate", kCmd));
  }
  if (generate) {
    key.secret = base64_encode(random_bytes(alg.bytes));
  } else {
    const std::string& text = r["secret"].as<std::string>();
    auto bytes = base64_decode(text);
    if (!bytes) {
      throw UsageError(fmt::format(
          "{}: --secret is not base64 (A-Z a-z 0-9 + /, padded with = to a multiple of 4 "
          "characters)",
          kCmd));
    }
    if (bytes->size() < kMinSecretBytes) {
      throw UsageError(fmt::format(
          "{}: --secret is {} byte{} decoded; at least {} are required (use --generate)", kCmd,
          bytes->size(), bytes->size() == 1 ? "" : "s", kMinSecretBytes));
    }
    key.secret = base64_encode(*bytes);  // canonical: what every secondary decodes alike
  }

  store::Db db(ctx.db_path);
  store::Transaction tx(db);
  if (store::find_tsig_key(db, key.name)) {
    throw DataError(fmt::format("{}: TSIG key {} already exists (remove it first with `tsig rm`)",
                                kCmd, key.name));
  }
  store::insert_tsig_key(db, key, store::unix_now());
  tx.commit();
  ctx.out << fmt::format("added TSIG key {} ({})\n", key.name, key.algorithm);
  if (generate) print_snippets(ctx, key);
  return kExitOk;
}

int tsig_list(const Context& ctx, int argc, char** argv) {
  cxxopts::Options opts("fodns tsig list",
                        "List TSIG keys: name, algorithm and the zones whose transfer ACL names\n"
                        "them. Secrets are never shown.");
  opts.custom_help("[OPTIONS]");
  opts.add_options()
      ("json", "print a JSON array of {name, algorithm, zones} (default: off, a table)")
      ("h,help", "print this help");
  auto r = parse_options(opts, "tsig list", argc, argv);
  if (print_help(r, opts, ctx)) return kExitOk;
  store::Db db(ctx.db_path);
  auto keys = store::list_tsig_keys(db);
  std::vector<std::vector<std::string>> users;
  for (const auto& k : keys) users.push_back(store::tsig_key_users(db, k.name));
  if (r.count("json")) {
    ctx.out << "[";
    for (size_t i = 0; i < keys.size(); ++i) {
      std::string zones;
      for (const auto& z : users[i]) zones += fmt::format("{}\"{}\"", zones.empty() ? "" : ",", json_escape(z));
      ctx.out << fmt::format("{}{{\"name\":\"{}\",\"algorithm\":\"{}\",\"zones\":[{}]}}",
                             i ? "," : "", json_escape(keys[i].name), keys[i].algorithm, zones);
    }
    ctx.out << "]\n";
    return kExitOk;
  }
  size_t width = 4;
  for (const auto& k : keys) width = std::max(width, k.name.size());
  ctx.out << fmt::format("{:<{}}  {:<11}  {}\n", "NAME", width, "ALGORITHM", "ZONES");
  for (size_t i = 0; i < keys.size(); ++i) {
    std::string zones;
    for (const auto& z : users[i]) zones += (zones.empty() ? "" : " ") + z;
    ctx.out << fmt::format("{:<{}}  {:<11}  {}\n", keys[i].name, width, keys[i].algorithm,
                           zones.empty() ? "-" : zones);
  }
  return kExitOk;
}

int tsig_rm(const Context& ctx, int argc, char** argv) {
  constexpr std::string_view kCmd = "tsig rm";
  auto opts = name_options("fodns tsig rm",
                           "Remove a TSIG key. Refused while a zone's transfer ACL names it:\n"
                           "change that ACL first (`zone set ZONE --allow-transfer ...`).");
  auto r = parse_options(opts, kCmd, argc, argv);
  if (print_help(r, opts, ctx)) return kExitOk;
  std::string name = name_of(kCmd, r);
  store::Db db(ctx.db_path);
  store::Transaction tx(db);
  if (!store::find_tsig_key(db, name)) {
    throw DataError(fmt::format("{}: no TSIG key {}", kCmd, name));
  }
  // Checked here rather than by catching delete_tsig_key's StoreError: that maps to exit 3.
  auto users = store::tsig_key_users(db, name);
  if (!users.empty()) {
    std::string zones;
    for (const auto& z : users) zones += (zones.empty() ? "" : ", ") + z;
    throw DataError(fmt::format(
        "{}: TSIG key {} is used by the transfer ACL of zone {}; change the ACL first "
        "(`zone set ZONE --allow-transfer ...` or --no-allow-transfer)",
        kCmd, name, zones));
  }
  store::delete_tsig_key(db, name);
  tx.commit();
  ctx.out << fmt::format("removed TSIG key {}\n", name);
  return kExitOk;
}

}  // namespace

int run_tsig(const Context& ctx, int argc, char** argv) {
  if (argc < 2) {
    ctx.err << kTsigUsage;
    return kExitUsage;
  }
  std::string_view sub = argv[1];
  if (sub == "--help" || sub == "-h") {
    ctx.out << kTsigUsage;
    return kExitOk;
  }
  if (sub == "add") return tsig_add(ctx, argc - 1, argv + 1);
  if (sub == "list") return tsig_list(ctx, argc - 1, argv + 1);
  if (sub == "rm") return tsig_rm(ctx, argc - 1, argv + 1);
  ctx.err << fmt::format("tsig: unknown subcommand '{}'\n", sub) << kTsigUsage;
  return kExitUsage;
}

}  // namespace fodns::cli
