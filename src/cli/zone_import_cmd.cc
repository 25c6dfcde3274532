#include "cli/zone_import_cmd.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <unordered_map>

#include <fmt/format.h>

#include "cli/cli_args.h"
#include "cli/governance.h"
#include "common/progress.h"
#include "store/zone_repo.h"
#include "zonefile/zone_file.h"
#include "zonefile/zone_validator.h"

namespace fodns::cli {

namespace {

constexpr int64_t kMaxSizeMib = int64_t{1} << 20;  // 1 TiB: a bound for the option's arithmetic

struct ImportedFile {
  std::string path;
  zonefile::ParsedZone zone;
};

// Parses and validates one file; DataError "FILE:LINE: reason" when it is refused.
ImportedFile parse_one(const std::string& path, const std::string& origin, uint64_t max_bytes) {
  if (::access(path.c_str(), R_OK) != 0) {
    // Cannot read it at all: the environment's fault (exit 3), not the file's content's (2).
    throw RuntimeError(fmt::format("zone import: {}: cannot open: {}", path, strerror(errno)));
  }
  auto parsed = zonefile::parse_zone_file(path, origin, max_bytes);
  if (!parsed) throw DataError(parsed.error().message);
  auto& pz = parsed.value();
  if (auto bad = zonefile::validate_zone(pz.content)) {
    int line = bad->rr_index == zonefile::ZoneError::kWholeZone ? pz.last_line
                                                                 : pz.lines[bad->rr_index];
    throw DataError(fmt::format("{}:{}: {}", path, line, bad->reason));
  }
  return {path, std::move(pz)};
}

}  // namespace

int zone_import(const Context& ctx, int argc, char** argv) {
  cxxopts::Options opts("fodns zone import",
                        "Import BIND master files, one zone each, in one transaction. A directory\n"
                        "stands for the regular files in it (not recursive, names starting with\n"
                        "'.' skipped). Every file is parsed and checked before anything is\n"
                        "written: any error names the file, leaves the database unchanged and\n"
                        "exits with code 2. A FILE must be a regular file or a pipe.");
  opts.custom_help("[OPTIONS]");
  opts.positional_help("FILE|DIR...");
  opts.add_options()
      ("origin", "the zone's apex, with a single FILE (default: the file's $ORIGIN, else the "
                 "SOA owner)",
       cxxopts::value<std::string>(), "NAME")
      ("replace", "replace zones that exist; their serials only move forward (default: off, "
                  "an existing zone is refused)",
       cxxopts::value<bool>()->default_value("false"))
      ("max-size", "refuse a file larger than this many MiB (default: 1024)",
       cxxopts::value<std::string>(), "MIB")
      ("h,help", "print this help");
  opts.add_options(kPositionalGroup)("file", "master files or directories",
                                     cxxopts::value<std::vector<std::string>>());
  opts.parse_positional({"file"});
  auto r = parse_options(opts, "zone import", argc, argv);
  if (print_help(r, opts, ctx)) return kExitOk;
  if (!r.count("file")) throw UsageError("zone import: FILE is missing");
  auto expanded = zonefile::expand_zone_paths(r["file"].as<std::vector<std::string>>());
  if (!expanded) throw DataError(fmt::format("zone import: {}", expanded.error().message));
  const auto& files = expanded.value();
  std::string origin;
  if (r.count("origin")) {
    if (files.size() != 1) throw UsageError("zone import: --origin needs exactly one FILE");
    origin = zone_name_arg("zone import: --origin", r["origin"].as<std::string>());
  }
  uint64_t max_bytes = zonefile::kDefaultMaxZoneBytes;
  if (r.count("max-size")) {
    auto mib = int_arg("zone import", "--max-size", r["max-size"].as<std::string>(), 1, kMaxSizeMib);
    max_bytes = static_cast<uint64_t>(mib) << 20;
  }
  bool replace = r["replace"].as<bool>();

  // How far a big import is: a terminal line, or a log line every 5 s (progress.h).
  progress::Task task(files.size() == 1 ? fmt::format("importing {}", files[0])
                                        : fmt::format("importing {} files", files.size()));
  std::vector<ImportedFile> parsed;
  parsed.reserve(files.size());
  std::unordered_map<std::string, size_t> by_origin;
  size_t records = 0;
  for (const auto& path : files) {
    parsed.push_back(parse_one(path, origin, max_bytes));
    const auto& pz = parsed.back().zone;
    auto [it, fresh] = by_origin.emplace(pz.origin_text, parsed.size() - 1);
    if (!fresh) {
      throw DataError(fmt::format("{}: zone {} is also in {}", path, pz.origin_text,
                                  parsed[it->second].path));
    }
    records += pz.content.rrs.size();
    if (pz.duplicates > 0) {
      ctx.err << fmt::format("{}: warning: {} duplicate record(s) ignored\n", path, pz.duplicates);
    }
  }

  store::Db db(ctx.db_path);
  store::Transaction tx(db);
  progress::phase("storing");
  std::vector<uint32_t> serials;
  serials.reserve(parsed.size());
  for (const auto& f : parsed) {
    const auto& pz = f.zone;
    bool exists = store::find_zone(db, pz.origin_text).has_value();
    if (exists && !replace) {
      throw DataError(fmt::format("{}: zone {} already exists (use --replace to replace it)",
                                  f.path, pz.origin_text));
    }
    serials.push_back(store::store_zone(db, pz.content, store::unix_now()));
    if (exists) {
      // --replace keeps governance, so the SOA MINIMUM warning still applies.
      warn_soa_minimum(ctx, f.path, db, *store::find_zone(db, pz.origin_text),
                       /*only_if_governed=*/true);
    }
  }
  progress::phase("committing");
  tx.commit();
  task.finish();  // erase the progress line before the result is printed
  for (size_t i = 0; i < parsed.size() && i < 1000; ++i) {
    ctx.out << fmt::format("imported {} ({} records, serial {})\n", parsed[i].zone.origin_text,
                           parsed[i].zone.content.rrs.size(), serials[i]);
  }
  if (parsed.size() > 1) {
    ctx.out << fmt::format("imported {} zones, {} records, in one transaction{}\n", parsed.size(),
                           records, parsed.size() > 1000 ? " (the first 1000 listed)" : "");
  }
  return kExitOk;
}

}  // namespace fodns::cli
