// `fodns events [--limit N] [--backend NAME] [--since DURATION] [--json]`: the newest N
// state changes and drains (of one backend, within a time), oldest first,
// as `fodns serve` and `fodns backend drain|resume` wrote them. Read-only.
#include <fmt/format.h>

#include "cli/backend_options.h"
#include "cli/cli_args.h"
#include "cli/cli_common.h"
#include "store/backend_repo.h"

namespace fodns::cli {

namespace {
constexpr int64_t kDefaultLimit = 20;
constexpr int64_t kMaxLimit = 100000;
constexpr int64_t kMaxSinceDays = 3650;

// --since: a duration as --interval takes it (250ms, 30s, 5m), or hours and days (2h, 7d).
int64_t since_ms_arg(std::string_view text) {
  for (auto [unit, scale] : {std::pair{'h', int64_t{3'600'000}}, std::pair{'d', int64_t{86'400'000}}}) {
    if (text.size() < 2 || text.back() != unit) continue;
    int64_t n = int_arg("events", "--since", text.substr(0, text.size() - 1), 1,
                        kMaxSinceDays * 86'400'000 / scale);
    return n * scale;
  }
  auto ms = parse_duration_ms(text);
  if (!ms || *ms <= 0)
    throw UsageError(fmt::format(
        "events: --since '{}' is not a duration (use 30s, 15m, 2h, 7d; at most {}d)", text,
        kMaxSinceDays));
  return *ms;
}
}  // namespace

int run_events(const Context& ctx, int argc, char** argv) {
  cxxopts::Options opts("fodns events",
                        "Show the history of backend state changes: when (UTC), backend,\n"
                        "from -> to, and why. The newest N, printed oldest first.");
  opts.custom_help("[OPTIONS]");
  opts.add_options()
      ("limit", fmt::format("how many events, 1..{}", kMaxLimit),
       cxxopts::value<std::string>()->default_value(std::to_string(kDefaultLimit)), "N")
      ("backend", "only the events of this backend (default: every backend)",
       cxxopts::value<std::string>(), "NAME")
      ("since", "only the events of the last DUR: 30s, 15m, 2h, 7d (default: any time)",
       cxxopts::value<std::string>(), "DUR")
      ("json", "print a JSON array of {id, at_ms, time, backend, from, to, reason} "
               "(default: off, lines)")
      ("h,help", "print this help");
  auto r = parse_options(opts, "events", argc, argv);
  if (print_help(r, opts, ctx)) return kExitOk;
  int64_t limit = int_arg("events", "--limit", r["limit"].as<std::string>(), 1, kMaxLimit);

  int64_t since_ms = r.count("since") ? store::unix_now_ms() - since_ms_arg(r["since"].as<std::string>()) : 0;
  std::string backend = r.count("backend") ? r["backend"].as<std::string>() : std::string();
  if (r.count("backend")) check_backend_name("events", backend);

  store::Db db(ctx.db_path);
  // A backend removed since keeps its events: an unknown name is not an error, only empty.
  auto events = store::recent_events(db, static_cast<int>(limit), backend, since_ms);
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
