#include "cli/cli_common.h"

#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "app/demo.h"
#include "app/serve.h"
#include "dns/name.h"
#include "store/db.h"

namespace fodns::cli {

namespace {

constexpr std::string_view kCommands =
    "Commands:\n"
    "  zone import FILE [--origin NAME] [--replace]   import a BIND master file\n"
    "  zone export NAME                               print a zone as a master file\n"
    "  zone list [--json]                             list zones, serials, record counts\n"
    "  zone rm NAME                                   remove a zone and its records\n"
    "  zone show NAME                                 serial, transfer settings, journal\n"
    "  zone set NAME [--notify ADDR[:PORT]]... [--allow-transfer PREFIX|key:NAME]...\n"
    "           [--journal-max N] [--journal-max-age DUR]  transfers to secondaries\n"
    "  record add NAME TTL TYPE RDATA... [--backend NAME] [--priority N]\n"
    "                                                 add one record (absolute names)\n"
    "  record rm NAME TYPE [RDATA...]                 remove a record or a whole RRset\n"
    "  record list [ZONE] [--json]                    list records, with backend and priority\n"
    "  record set-backend NAME TYPE RDATA... --backend NAME|--none [--priority N]\n"
    "                                                 govern an existing record by a backend\n"
    "  backend add NAME --address ADDR --probe KIND [...]  add a probed backend\n"
    "  backend set NAME [OPTIONS]                     change a backend's probe settings\n"
    "  backend rm NAME [--force]                      remove a backend\n"
    "  backend list [--json]                          list backends and their state\n"
    "  backend show NAME [--json]                     one backend: state, records, events\n"
    "  backend drain NAME [--reason TEXT]             take a backend out of the answers\n"
    "  backend resume NAME                            end a drain\n"
    "  rrset set NAME TYPE [--all-down open|closed] [--ttl N]  failover policy of an RRset\n"
    "  status [--json]                                backends' health and zones' serials\n"
    "  events [--backend NAME] [--since DURATION] [--limit N] [--json]\n"
    "                                                 history of backend state changes\n"
    "  tsig add NAME [--algorithm ALG] (--secret BASE64 | --generate)  add a TSIG key\n"
    "  tsig list [--json]                             TSIG keys (never their secrets)\n"
    "  tsig rm NAME                                   remove a TSIG key\n"
    "  cookie show [--secret] [--json]                DNS cookie secrets: current and previous\n"
    "  cookie rotate                                  A new DNS cookie secret; the old one stays accepted\n"
    "  cookie set SECRET                              make a hex secret current (share between servers)\n"
    "  serve [...]                                    run the DNS server\n"
    "  demo [...]                                     live failover demo on loopback (no root)\n"
    "Run `fodns COMMAND --help` for a command's options.\n"
    "\n"
    "Exit codes (every command):\n"
    "  0  ok\n"
    "  1  usage error: unknown command or option, missing argument, bad value\n"
    "  2  data error: zone file or record refused, unknown zone/record/backend,\n"
    "     constraint refused (e.g. a backend still in use)\n"
    "  3  runtime error: cannot open or write the database, cannot read a file,\n"
    "     cannot bind an address\n"
    "Errors go to stderr, one line naming the command, the field and the reason.\n";

// cxxopts quotes names with U+2018/U+2019; plain ASCII quotes like the rest of our messages.
std::string ascii_quotes(std::string s) {
  for (const char* q : {"\u2018", "\u2019"}) {
    for (size_t pos; (pos = s.find(q)) != std::string::npos;) s.replace(pos, 3, "'");
  }
  return s;
}

// The option of argv that `value` was given to, for "Argument 'x' failed to parse" (cxxopts
// does not say which option): "--limit" for `--limit x` and `--limit=x`, else "".
std::string option_of_value(int argc, char** argv, std::string_view value) {
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    if (!a.starts_with("-")) continue;
    size_t eq = a.find('=');
    if (eq != std::string_view::npos && a.substr(eq + 1) == value) return std::string(a.substr(0, eq));
    if (eq == std::string_view::npos && i + 1 < argc && argv[i + 1] == value) return std::string(a);
  }
  return {};
}

// Index of the first word that is not a global option (the command), or argc.
int find_command(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--db") == 0) {
      ++i;
      continue;
    }
    if (argv[i][0] != '-') return i;
  }
  return argc;
}

// "fodns record add" for the message of an error that escaped a command (a full
// disk, a broken database), so that a script's log says which command failed.
std::string command_label(int argc, char** argv) {
  int cmd = find_command(argc, argv);
  if (cmd >= argc) return "fodns";
  std::string label = fmt::format("fodns {}", argv[cmd]);
  if (cmd + 1 < argc && argv[cmd + 1][0] != '-' && std::string_view(argv[cmd]) != "status" &&
      std::string_view(argv[cmd]) != "events")
    label += fmt::format(" {}", argv[cmd + 1]);
  return label;
}

}  // namespace

std::string default_db_path() {
  const char* env = std::getenv("FODNS_DB");
  return (env && *env) ? env : "./fodns.db";
}

cxxopts::ParseResult parse_options(cxxopts::Options& opts, std::string_view command, int argc,
                                   char** argv, std::vector<std::string>* rest) {
  try {
    auto result = opts.parse(argc, argv);
    if (!rest && !result.unmatched().empty()) {
      throw UsageError(
          fmt::format("{}: unexpected argument '{}'", command, result.unmatched().front()));
    }
    if (rest) *rest = result.unmatched();
    return result;
  } catch (const cxxopts::exceptions::incorrect_argument_type& e) {
    // e.what(): "Argument ‘x’ failed to parse"; name the option it was given to.
    std::string what = e.what();
    size_t open = what.find("‘"), close = what.find("’");
    std::string option;
    if (open != std::string::npos && close != std::string::npos && close > open) {
      std::string value = what.substr(open + 3, close - open - 3);
      option = option_of_value(argc, argv, value);
      if (!option.empty()) {
        throw UsageError(fmt::format("{}: {} '{}' is not a valid value", command, option, value));
      }
    }
    throw UsageError(fmt::format("{}: {}", command, ascii_quotes(what)));
  } catch (const cxxopts::exceptions::exception& e) {
    throw UsageError(fmt::format("{}: {}", command, ascii_quotes(e.what())));
  }
}

std::string zone_name_arg(std::string_view command, std::string_view text) {
  std::string s(text);
  if (s.empty()) throw UsageError(fmt::format("{}: NAME is empty", command));
  if (s.back() != '.' || (s.size() >= 2 && s[s.size() - 2] == '\\')) s += '.';
  auto wire = dns::name_from_text(s);
  if (!wire) throw UsageError(fmt::format("{}: NAME {}", command, wire.error().message));
  return dns::name_to_text(wire.value());
}

std::string help_text(const cxxopts::Options& opts) {
  std::vector<std::string> shown;
  for (const auto& g : opts.groups()) {
    if (g != kPositionalGroup) shown.push_back(g);
  }
  return opts.help(shown);
}

bool print_help(const cxxopts::ParseResult& r, cxxopts::Options& opts, const Context& ctx) {
  if (!r.count("help")) return false;
  ctx.out << help_text(opts) << "\n";
  return true;
}

int run_cli(int argc, char** argv, std::ostream& out, std::ostream& err) {
  std::string db_path;  // for storage errors that do not say which file
  try {
    int cmd = find_command(argc, argv);
    cxxopts::Options opts("fodns", "Failover DNS for SIP/VoIP: authoritative server and its CLI");
    opts.custom_help("[--db PATH] COMMAND [ARGS...]");
    opts.add_options()
        ("db", "SQLite database, created and migrated on first use; $FODNS_DB if set, "
               "else ./fodns.db",
         cxxopts::value<std::string>()->default_value(default_db_path()), "PATH")
        ("version", "print the version and exit")
        ("h,help", "print this help and exit");
    auto global = parse_options(opts, "fodns", cmd, argv);
    if (global.count("version")) {
      out << "fodns " << FODNS_VERSION << "\n";
      return kExitOk;
    }
    if (global.count("help") || cmd == argc) {
      (global.count("help") ? out : err) << opts.help() << "\n" << kCommands;
      return global.count("help") ? kExitOk : kExitUsage;
    }
    Context ctx{global["db"].as<std::string>(), out, err};
    db_path = ctx.db_path;
    std::string_view command = argv[cmd];
    int sub_argc = argc - cmd;
    char** sub_argv = argv + cmd;
    if (command == "zone") return run_zone(ctx, sub_argc, sub_argv);
    if (command == "record") return run_record(ctx, sub_argc, sub_argv);
    if (command == "backend") return run_backend(ctx, sub_argc, sub_argv);
    if (command == "rrset") return run_rrset(ctx, sub_argc, sub_argv);
    if (command == "status") return run_status(ctx, sub_argc, sub_argv);
    if (command == "events") return run_events(ctx, sub_argc, sub_argv);
    if (command == "tsig") return run_tsig(ctx, sub_argc, sub_argv);
    if (command == "cookie") return run_cookie(ctx, sub_argc, sub_argv);
    if (command == "serve") return run_serve(ctx, sub_argc, sub_argv);
    if (command == "demo") {
      out.flush();
      return app::run_demo(app::GlobalOptions{ctx.db_path}, sub_argc, sub_argv);
    }
    err << fmt::format("fodns: unknown command '{}'\n", command) << kCommands;
    return kExitUsage;
  } catch (const UsageError& e) {
    err << e.what() << "\n";
    return kExitUsage;
  } catch (const DataError& e) {
    err << e.what() << "\n";
    return kExitData;
  } catch (const RuntimeError& e) {
    err << e.what() << "\n";
    return kExitRuntime;
  } catch (const store::StoreError& e) {
    std::string_view msg = e.what();
    err << command_label(argc, argv) << ": "
        << (db_path.empty() || msg.find(db_path) != std::string_view::npos ? "" : db_path + ": ")
        << msg << "\n";
    return kExitRuntime;
  } catch (const std::exception& e) {
    err << command_label(argc, argv) << ": " << e.what() << "\n";
    return kExitRuntime;
  }
}

}  // namespace fodns::cli
