// `fodns cookie show|rotate|set`: the secret of DNS server cookies (RFC 7873, RFC 9018).
// A running `fodns serve` picks a change up within a second; the previous secret stays
// accepted, so clients holding a cookie made with it are not refused (cookies expire in
// an hour). Instances answering for the same zones should share one secret (RFC 9018 §5).
#include <sys/random.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include <fmt/format.h>

#include "cli/cli_common.h"
#include "store/cookie_repo.h"
#include "store/zone_repo.h"

namespace fodns::cli {

namespace {

constexpr std::string_view kCookieUsage =
    "Usage: fodns [--db PATH] cookie SUBCOMMAND ...\n"
    "  show [--secret] [--json]   current and previous secret: generation, age (--secret: hex)\n"
    "  rotate                     make a new random secret current; the old one stays accepted\n"
    "  set SECRET                 make this 32-hex-digit secret current (share it between instances)\n"
    "Run `fodns cookie SUBCOMMAND --help` for its options.\n";

std::string hex(const std::array<uint8_t, 16>& b) {
  std::string s;
  for (uint8_t c : b) s += fmt::format("{:02x}", c);
  return s;
}

std::array<uint8_t, 16> parse_hex(std::string_view cmd, std::string_view text) {
  std::array<uint8_t, 16> out{};
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  bool ok = text.size() == 32;
  for (size_t i = 0; ok && i < 16; ++i) {
    int hi = digit(text[2 * i]), lo = digit(text[2 * i + 1]);
    ok = hi >= 0 && lo >= 0;
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  if (!ok)
    throw UsageError(fmt::format("{}: SECRET must be 32 hex digits (16 bytes), got '{}'", cmd, text));
  return out;
}

// Makes `secret` current in one transaction; the previous one stays (store::add_cookie_secret).
int install(const Context& ctx, const std::array<uint8_t, 16>& secret, std::string_view what) {
  store::Db db(ctx.db_path);
  store::Transaction tx(db);
  auto added = store::add_cookie_secret(db, secret, store::unix_now());
  tx.commit();
  ctx.out << fmt::format("{} DNS cookie secret generation {}; the previous one stays accepted\n",
                         what, added.generation);
  return kExitOk;
}

int cookie_show(const Context& ctx, int argc, char** argv) {
  cxxopts::Options opts("fodns cookie show",
                        "Show the DNS cookie secrets: the current one (cookies are made with it) and\n"
                        "the previous one (still accepted).");
  opts.custom_help("[OPTIONS]");
  opts.add_options()
      ("secret", "print the secrets as hex (default: off; anyone with it can forge cookies)")
      ("json", "print a JSON array of {role, generation, created_at[, secret]} (default: a table)")
      ("h,help", "print this help");
  auto r = parse_options(opts, "cookie show", argc, argv);
  if (print_help(r, opts, ctx)) return kExitOk;
  bool secret = r.count("secret") > 0;
  store::Db db(ctx.db_path);
  auto secrets = store::list_cookie_secrets(db, 2);
  if (r.count("json")) {
    ctx.out << "[";
    for (size_t i = 0; i < secrets.size(); ++i) {
      ctx.out << fmt::format("{}{{\"role\":\"{}\",\"generation\":{},\"created_at\":{}{}}}", i ? "," : "",
                             i == 0 ? "current" : "previous", secrets[i].generation,
                             secrets[i].created_at,
                             secret ? fmt::format(",\"secret\":\"{}\"", hex(secrets[i].secret)) : "");
    }
    ctx.out << "]\n";
    return kExitOk;
  }
  ctx.out << fmt::format("{:<9}  {:>10}  {:<20}{}\n", "ROLE", "GENERATION", "CREATED",
                         secret ? "  SECRET" : "");
  for (size_t i = 0; i < secrets.size(); ++i) {
    std::time_t t = secrets[i].created_at;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char when[32];
    std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    ctx.out << fmt::format("{:<9}  {:>10}  {:<20}{}\n", i == 0 ? "current" : "previous",
                           secrets[i].generation, when,
                           secret ? "  " + hex(secrets[i].secret) : "");
  }
  return kExitOk;
}

int cookie_rotate(const Context& ctx, int argc, char** argv) {
  cxxopts::Options opts("fodns cookie rotate",
                        "Make a new random DNS cookie secret current. The previous one stays accepted\n"
                        "until the next rotation, so rotate at most about once an hour (a cookie lives\n"
                        "an hour) to keep every client's cookie valid.");
  opts.custom_help("[OPTIONS]");
  opts.add_options()("h,help", "print this help");
  auto r = parse_options(opts, "cookie rotate", argc, argv);
  if (print_help(r, opts, ctx)) return kExitOk;
  std::array<uint8_t, 16> s{};
  if (getrandom(s.data(), s.size(), 0) != static_cast<ssize_t>(s.size()))
    throw RuntimeError(fmt::format("cookie rotate: getrandom: {}", std::strerror(errno)));
  return install(ctx, s, "new");
}

int cookie_set(const Context& ctx, int argc, char** argv) {
  cxxopts::Options opts("fodns cookie set",
                        "Make SECRET (32 hex digits, e.g. from `cookie show --secret` on another\n"
                        "instance) the current DNS cookie secret; the previous one stays accepted.\n"
                        "On the command line it can be seen by other local users (ps, history).");
  opts.custom_help("[OPTIONS]");
  opts.positional_help("SECRET");
  opts.add_options()("h,help", "print this help");
  opts.add_options(kPositionalGroup)("secret", "the secret", cxxopts::value<std::string>());
  opts.parse_positional({"secret"});
  auto r = parse_options(opts, "cookie set", argc, argv);
  if (print_help(r, opts, ctx)) return kExitOk;
  if (!r.count("secret")) throw UsageError("cookie set: SECRET is missing");
  return install(ctx, parse_hex("cookie set", r["secret"].as<std::string>()), "set");
}

}  // namespace

int run_cookie(const Context& ctx, int argc, char** argv) {
  if (argc < 2) {
    ctx.err << kCookieUsage;
    return kExitUsage;
  }
  std::string_view sub = argv[1];
  if (sub == "--help" || sub == "-h") {
    ctx.out << kCookieUsage;
    return kExitOk;
  }
  if (sub == "show") return cookie_show(ctx, argc - 1, argv + 1);
  if (sub == "rotate") return cookie_rotate(ctx, argc - 1, argv + 1);
  if (sub == "set") return cookie_set(ctx, argc - 1, argv + 1);
  ctx.err << fmt::format("cookie: unknown subcommand '{}'\n", sub) << kCookieUsage;
  return kExitUsage;
}

}  // namespace fodns::cli
