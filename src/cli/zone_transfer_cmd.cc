#include "cli/zone_transfer_cmd.h"

#include <algorithm>

#include <fmt/format.h>

#include "cli/cli_args.h"
#include "cli/transfer_args.h"
#include "store/transfer_repo.h"
#include "store/zone_repo.h"

namespace fodns::cli {

namespace {

constexpr int64_t kMaxJournalEntries = 1'000'000;  // a bound, not a target: each entry is a diff

template <typename T>
std::string joined(const std::vector<T>& items, std::string (*format)(const T&),
                   std::string_view empty) {
  if (items.empty()) return std::string(empty);
  std::string out;
  for (const auto& i : items) out += (out.empty() ? "" : ", ") + format(i);
  return out;
}

std::string journal_text(const store::JournalSummary& j) {
  if (j.entries == 0) return "empty (IXFR falls back to a full transfer)";
  return fmt::format("{} entr{}, IXFR from serial {} to {}, oldest {}", j.entries,
                     j.entries == 1 ? "y" : "ies", j.oldest_serial, j.newest_serial,
                     format_utc(j.oldest_at * 1000, false));
}

void print_settings(const Context& ctx, const store::TransferConfig& c) {
  ctx.out << fmt::format("notify:          {}\n", joined(c.notify, &format_notify, "none"));
  ctx.out << fmt::format("allow-transfer:  {}\n",
                         joined(c.acl, &format_acl, "none (every transfer is refused)"));
  ctx.out << fmt::format("journal-max:     {}\n", c.journal_max);
  ctx.out << fmt::format("journal-max-age: {}\n", format_duration_s(c.journal_max_age_s));
}

std::vector<std::string> strings(const cxxopts::ParseResult& r, const char* name) {
  return r.count(name) ? r[name].as<std::vector<std::string>>() : std::vector<std::string>{};
}

template <typename T>
void refuse_duplicates(std::string_view command, std::string_view field, const std::vector<T>& v,
                       std::string (*format)(const T&)) {
  for (size_t i = 0; i < v.size(); ++i) {
    for (size_t k = 0; k < i; ++k) {
      if (format(v[i]) == format(v[k])) {
        throw UsageError(fmt::format("{}: {} {} is given twice", command, field, format(v[i])));
      }
    }
  }
}

}  // namespace

int zone_set(const Context& ctx, int argc, char** argv) {
  constexpr std::string_view kCmd = "zone set";
  cxxopts::Options opts(
      "fodns zone set",
      "Change how zone NAME is transferred to secondaries. Settings not given stay as they\n"
      "are; a repeated option replaces that whole list. All in one transaction: on any\n"
      "error nothing changes.");
  opts.custom_help("[OPTIONS]");
  opts.positional_help("NAME");
  opts.add_options()
      ("notify", "a secondary to NOTIFY on each serial change: ADDR, ADDR:PORT or "
                 "[IPv6]:PORT (port 53 by default); repeat for several; replaces the list "
                 "(default: unchanged)",
       cxxopts::value<std::vector<std::string>>(), "ADDR[:PORT]")
      ("no-notify", "NOTIFY no one (default: off)")
      ("allow-transfer", "who may AXFR/IXFR: PREFIX (an address is /32 or /128), key:NAME "
                         "(a TSIG key) or PREFIX+key:NAME (both); repeat for several; replaces "
                         "the list (default: unchanged; a new zone refuses every transfer)",
       cxxopts::value<std::vector<std::string>>(), "RULE")
      ("no-allow-transfer", "refuse every transfer (default: off)")
      ("journal-max", "journal entries kept for IXFR, 1..1000000 (default: unchanged; 100 for a new zone)",
       cxxopts::value<std::string>(), "N")
      ("journal-max-age", "drop journal entries older than this: 30s, 10m, 12h, 7d (default: unchanged; 7d for a new zone)",
       cxxopts::value<std::string>(), "DUR")
      ("h,help", "print this help")
      ("name", "zone name", cxxopts::value<std::string>());
  opts.parse_positional({"name"});
  auto r = parse_options(opts, kCmd, argc, argv);
  if (print_help(r, opts, ctx)) return kExitOk;
  if (!r.count("name")) throw UsageError("zone set: NAME is missing");
  std::string name = zone_name_arg(kCmd, r["name"].as<std::string>());

  // Everything from the command line is checked before the database is opened.
  bool set_notify = r.count("notify") || r.count("no-notify");
  bool set_acl = r.count("allow-transfer") || r.count("no-allow-transfer");
  if (r.count("notify") && r.count("no-notify")) {
    throw UsageError("zone set: give --notify or --no-notify, not both");
  }
  if (r.count("allow-transfer") && r.count("no-allow-transfer")) {
    throw UsageError("zone set: give --allow-transfer or --no-allow-transfer, not both");
  }
  if (!set_notify && !set_acl && !r.count("journal-max") && !r.count("journal-max-age")) {
    throw UsageError(
        "zone set: nothing to change (give --notify, --no-notify, --allow-transfer, "
        "--no-allow-transfer, --journal-max or --journal-max-age)");
  }
  std::vector<store::NotifyTarget> notify;
  for (const auto& t : strings(r, "notify")) notify.push_back(notify_arg(kCmd, t));
  refuse_duplicates(kCmd, "--notify", notify, &format_notify);
  std::vector<store::AclEntry> acl;
  for (const auto& t : strings(r, "allow-transfer")) acl.push_back(acl_arg(kCmd, t));
  refuse_duplicates(kCmd, "--allow-transfer", acl, &format_acl);
  std::optional<int64_t> journal_max, journal_age;
  if (r.count("journal-max")) {
    journal_max = int_arg(kCmd, "--journal-max", r["journal-max"].as<std::string>(), 1,
                          kMaxJournalEntries);
  }
  if (r.count("journal-max-age")) {
    journal_age = duration_s_arg(kCmd, "--journal-max-age", r["journal-max-age"].as<std::string>());
  }

  store::Db db(ctx.db_path);
  store::Transaction tx(db);
  auto zone = store::find_zone(db, name);
  if (!zone) throw DataError(fmt::format("zone set: no zone {}", name));
  for (const auto& e : acl) {
    if (!e.key_name.empty() && !store::find_tsig_key(db, e.key_name)) {
      throw DataError(fmt::format("zone set: --allow-transfer {}: no TSIG key {} (add it with "
                                  "`tsig add {} --generate`)",
                                  format_acl(e), e.key_name, e.key_name));
    }
  }
  auto config = store::load_transfer_config(db, zone->id);
  if (set_notify) store::replace_notify(db, zone->id, notify);
  if (set_acl) store::replace_acl(db, zone->id, acl);
  if (journal_max || journal_age) {
    config.journal_max = journal_max.value_or(config.journal_max);
    config.journal_max_age_s = journal_age.value_or(config.journal_max_age_s);
    store::set_journal_bounds(db, zone->id, config.journal_max, config.journal_max_age_s);
    // Applied now, not at the next change: `zone show` should agree with the bounds.
    store::prune_journal(db, zone->id, config.journal_max, config.journal_max_age_s,
                         store::unix_now());
  }
  config = store::load_transfer_config(db, zone->id);
  tx.commit();
  ctx.out << fmt::format("changed {}\n", name);
  print_settings(ctx, config);
  return kExitOk;
}

int zone_show(const Context& ctx, int argc, char** argv) {
  cxxopts::Options opts("fodns zone show",
                        "Show zone NAME: serial, size, transfer settings and journal.");
  opts.custom_help("[OPTIONS]");
  opts.positional_help("NAME");
  opts.add_options()("h,help", "print this help")("name", "zone name", cxxopts::value<std::string>());
  opts.parse_positional({"name"});
  auto r = parse_options(opts, "zone show", argc, argv);
  if (print_help(r, opts, ctx)) return kExitOk;
  if (!r.count("name")) throw UsageError("zone show: NAME is missing");
  std::string name = zone_name_arg("zone show", r["name"].as<std::string>());
  store::Db db(ctx.db_path);
  auto zone = store::find_zone(db, name);
  if (!zone) throw DataError(fmt::format("zone show: no zone {}", name));
  ctx.out << fmt::format("zone:            {}\n", zone->name);
  ctx.out << fmt::format("serial:          {}\n", zone->serial);
  ctx.out << fmt::format("records:         {}\n", zone->record_count);
  print_settings(ctx, store::load_transfer_config(db, zone->id));
  ctx.out << fmt::format("journal:         {}\n",
                         journal_text(store::journal_summary(db, zone->id)));
  return kExitOk;
}

std::string zone_transfer_json(store::Db& db, int64_t zone_id) {
  auto c = store::load_transfer_config(db, zone_id);
  auto j = store::journal_summary(db, zone_id);
  std::string notify, acl;
  for (const auto& t : c.notify) {
    notify += fmt::format("{}{{\"address\":\"{}\",\"port\":{}}}", notify.empty() ? "" : ",",
                          t.address, t.port);
  }
  auto str_or_null = [](const std::string& s) {
    return s.empty() ? std::string("null") : "\"" + json_escape(s) + "\"";
  };
  for (const auto& e : c.acl) {
    acl += fmt::format("{}{{\"prefix\":{},\"key\":{}}}", acl.empty() ? "" : ",",
                       str_or_null(e.prefix), str_or_null(e.key_name));
  }
  auto serial = [&](uint32_t s) { return j.entries ? std::to_string(s) : std::string("null"); };
  return fmt::format(
      ",\"notify\":[{}],\"allow_transfer\":[{}],\"journal\":{{\"max\":{},\"max_age_s\":{},"
      "\"entries\":{},\"oldest_serial\":{},\"newest_serial\":{}}}",
      notify, acl, c.journal_max, c.journal_max_age_s, j.entries, serial(j.oldest_serial),
      serial(j.newest_serial));
}

}  // namespace fodns::cli
