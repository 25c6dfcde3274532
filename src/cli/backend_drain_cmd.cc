// `fodns backend drain|resume`: maintenance. A drained backend is treated as down whatever
// its probes say, and that is stored, so it survives restarts of `fodns serve`. Both write
// an event and move on the serial of every zone holding records the backend governs,
// since the served answers change; all in one transaction.
#include <fmt/format.h>

#include "cli/backend_cmd.h"
#include "cli/backend_options.h"

namespace fodns::cli {

int backend_drain(const Context& ctx, int argc, char** argv, bool drain) {
  std::string cmd = drain ? "backend drain" : "backend resume";
  cxxopts::Options opts(
      drain ? "fodns backend drain" : "fodns backend resume",
      drain ? "Take backend NAME out of the answers (as if down) until `backend resume`.\n"
              "Draining a drained backend changes nothing (exit 0, with a message);\n"
              "its first reason is kept."
            : "End the drain of backend NAME: it is served again as its probes say.\n"
              "Resuming a backend that is not drained changes nothing (exit 0, with a message).");
  opts.custom_help("[OPTIONS]");
  opts.positional_help("NAME");
  opts.add_options()("h,help", "print this help");
  opts.add_options(kPositionalGroup)("name", "backend name", cxxopts::value<std::string>());
  if (drain) {
    opts.add_options()("reason", "why, for `status` and `events` (default: none)",
                       cxxopts::value<std::string>(), "TEXT");
  }
  opts.parse_positional({"name"});
  auto r = parse_options(opts, cmd, argc, argv);
  if (print_help(r, opts, ctx)) return kExitOk;
  if (!r.count("name")) throw UsageError(fmt::format("{}: NAME is missing", cmd));
  std::string name = r["name"].as<std::string>();
  check_backend_name(cmd, name);
  std::string reason = drain && r.count("reason") ? r["reason"].as<std::string>() : "";
  for (char c : reason) {
    if (c == '\n' || c == '\r') throw UsageError(fmt::format("{}: --reason must be one line", cmd));
  }

  store::Db db(ctx.db_path);
  store::Transaction tx(db);
  store::Backend b = backend_named(cmd, db, name);
  if (b.drained == drain) {
    ctx.out << fmt::format("backend {} is {}; nothing changed\n", name,
                           drain ? (b.drain_reason.empty() ? "already drained"
                                                           : "already drained: " + b.drain_reason)
                                 : "not drained");
    return kExitOk;
  }
  auto state = store::load_backend_state(db, b.id);
  std::string probed = state ? state->state : "unknown";
  int64_t now_ms = store::unix_now_ms();
  store::set_backend_drained(db, b.id, drain, reason, now_ms / 1000);
  if (drain) {
    store::insert_event(db, now_ms, b.id, b.name, probed, "drained",
                        reason.empty() ? "drained by operator"
                                       : "drained by operator: " + reason);
  } else {
    store::insert_event(db, now_ms, b.id, b.name, "drained", probed, "resumed by operator");
  }
  auto uses = store::backend_usage(db, b.id);
  std::string zones = bump_zones(db, uses);
  tx.commit();
  ctx.out << fmt::format("{} backend {} ({} -> {}){}\n", drain ? "drained" : "resumed", name,
                         drain ? probed : "drained", drain ? "drained" : probed,
                         zones.empty() ? "; it governs no records" : "; " + zones);
  return kExitOk;
}

}  // namespace fodns::cli
