// Shared pieces of the `fodns` command line: exit codes, the errors that map to them,
// the per-command context and the top-level dispatcher (run_cli), which lives here rather
// than in main.cc so that unit tests can drive whole commands and check exit codes and output.
// Threading: single-threaded, one command per process.
#pragma once

#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <cxxopts.hpp>

#include "common/json_escape.h"  // for the --json output of every command

namespace fodns::cli {

// The exit codes of every command, `fodns serve` and `fodns demo` included; `fodns --help`
// lists them. Errors go to stderr, one line naming the command, the field and the reason.
inline constexpr int kExitOk = 0;
inline constexpr int kExitUsage = 1;    // bad command line: unknown option, missing or bad value
inline constexpr int kExitData = 2;     // bad zone file, validation failure, unknown zone/record
inline constexpr int kExitRuntime = 3;  // database cannot be opened, I/O failure, cannot bind

/// Bad command line (exit 1). The message names the command and the field.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Input that is well-formed but refused (exit 2).
class DataError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The environment failed us: a file cannot be read, the database cannot be opened (exit 3).
/// Any other exception escaping a command is treated the same.
class RuntimeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Context {
  std::string db_path;
  std::ostream& out;
  std::ostream& err;
};

/// Runs `fodns ARGS...` (argv[0] is the program name). @return the exit code.
int run_cli(int argc, char** argv, std::ostream& out, std::ostream& err);

/// `fodns zone ...` and `fodns record ...`; argv[0] is "zone" / "record".
int run_zone(const Context& ctx, int argc, char** argv);
int run_record(const Context& ctx, int argc, char** argv);
/// `fodns backend ...`, `rrset ...`, `status`, `events`; argv[0] is the command word.
int run_backend(const Context& ctx, int argc, char** argv);
int run_rrset(const Context& ctx, int argc, char** argv);
int run_status(const Context& ctx, int argc, char** argv);
int run_events(const Context& ctx, int argc, char** argv);
/// `fodns tsig ...`; argv[0] is "tsig".
int run_tsig(const Context& ctx, int argc, char** argv);
/// `fodns cookie ...`; argv[0] is "cookie".
int run_cookie(const Context& ctx, int argc, char** argv);
/// `fodns serve ...` (serve_cmd.cc); argv[0] is "serve". Runs until SIGINT/SIGTERM.
int run_serve(const Context& ctx, int argc, char** argv);

/// --db default: $FODNS_DB, else ./fodns.db.
std::string default_db_path();

/// Parses argv with `opts`; cxxopts errors become UsageError prefixed with `command`.
/// Extra positional words are returned in `rest` if given, else are an error.
cxxopts::ParseResult parse_options(cxxopts::Options& opts, std::string_view command, int argc,
                                   char** argv, std::vector<std::string>* rest = nullptr);

/// A zone name from the command line: absolute or not ("example.net" = "example.net."),
/// returned as lowercase absolute presentation text.
std::string zone_name_arg(std::string_view command, std::string_view text);


/// Group of the options that stand for positional arguments (FILE, NAME...): parsed like
/// options, left out of --help, whose usage line and description name them instead.
inline constexpr const char* kPositionalGroup = "positional";

/// The --help text of `opts`: every group but kPositionalGroup.
std::string help_text(const cxxopts::Options& opts);

/// If --help was given: prints the help of `opts` on ctx.out and returns true.
bool print_help(const cxxopts::ParseResult& r, cxxopts::Options& opts, const Context& ctx);

}  // namespace fodns::cli
