// `fodns events [--limit N] [--json]`: the newest N state changes and drains, oldest first,
// as `fodns serve` and `fodns backend drain|resume` wrote them. Read-only.
#include <fmt/format.h>

#include "cli/cli_args.h"
#include "cli/cli_common.h"
#include "store/backend_repo.h"

namespace fodns::cli {

namespace {
constexpr int64_t kDefaultLimit = 20;
constexpr int64_t kMaxLimit = 100000;
}  // namespace

int run_events(const Context& ctx, int argc, char** argv) {
  cxxopts::Options opts("fodns events",
                        "Show the history of backend state changes: when (UTC), backend,\n"
                        "from -> to, and why. The newest N, printed oldest first.");
  opts.custom_help("[OPTIONS]");
  opts.add_options()
      ("limit", fmt::format("how many events, 1..{}", kMaxLimit),
       cxxopts::value<std::string>()->default_value(std::to_string(kDefaultLimit)), "N")
      ("json", "print a JSON array of {id, at_ms, time, backend, from, to, reason} "
               "(default: off, lines)")
      ("h,help", "print this help");
  auto r = parse_options(opts, "events", argc, argv);
  if (print_help(r, opts, ctx)) return kExitOk;
  int64_t limit = int_arg("events", "--limit", r["limit"].as<std::string>(), 1, kMaxLimit);

  store::Db db(ctx.db_path);
  auto events = store::recent_events(db, static_cast<int>(limit));
  if (r.count("json")) {
    ctx.out << "[";
    for (size_t i = 0; i < events.size(); ++i) {
      const auto& e = events[i];
      ctx.out << fmt::format(
          "{}{{\"id\":{},\"at_ms\":{},\"time\":\"{}\",\"backend\":\"{}\",\"from\":\"{}\","
          "\"to\":\"{}\",\"reason\":\"{}\"}}",
          i ? "," : "", e.id, e.at_ms, format_utc(e.at_ms, true), json_escape(e.backend),
          json_escape(e.from_state), json_escape(e.to_state), json_escape(e.reason));
    }
    ctx.out << "]\n";
    return kExitOk;
  }
  if (events.empty()) {
    ctx.out << "no events\n";
    return kExitOk;
  }
  size_t bw = 7;
  for (const auto& e : events) bw = std::max(bw, e.backend.size());
  for (const auto& e : events) {
    ctx.out << fmt::format("{}  {:<{}}  {} -> {}  {}\n", format_utc(e.at_ms, true), e.backend, bw,
                           e.from_state, e.to_state, e.reason);
  }
  return kExitOk;
}

}  // namespace fodns::cli
