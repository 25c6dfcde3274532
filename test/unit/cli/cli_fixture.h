// Shared by the CLI command tests: runs `fodns ARGS...` in-process (cli::run_cli) against a
// database in a temp dir, and dumps every table so a test can show that a refused command
// left the database exactly as it was.
#pragma once

#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "cli/cli_common.h"
#include "store/db.h"

namespace fodns::test {

struct CliRun {
  int code;
  std::string out;
  std::string err;
};

/// A zone with a low SOA MINIMUM (30) and two SIP A records to govern.
inline constexpr const char* kGovernedZone =
    "$ORIGIN example.net.\n"
    "$TTL 300\n"
    "@   IN SOA ns1 hostmaster 100 3600 600 1209600 30\n"
    "    IN NS ns1\n"
    "ns1 IN A 192.0.2.1\n"
    "sip 30 IN A 192.0.2.10\n"
    "sip 30 IN A 192.0.2.11\n"
    "_sip._udp 30 IN SRV 10 50 5060 sip\n";

class CliFixture {
 public:
  CliFixture() {
    char tmpl[] = "/tmp/fodns-cli-XXXXXX";
    dir_ = mkdtemp(tmpl);
    db_ = (dir_ / "t.db").string();
  }
  ~CliFixture() { std::filesystem::remove_all(dir_); }
  CliFixture(const CliFixture&) = delete;
  CliFixture& operator=(const CliFixture&) = delete;

  CliRun run(std::vector<std::string> args) {
    args.insert(args.begin(), {"fodns", "--db", db_});
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    std::ostringstream out, err;
    int code = cli::run_cli(static_cast<int>(argv.size()), argv.data(), out, err);
    return {code, out.str(), err.str()};
  }

  std::string write(const std::string& name, const std::string& text) {
    auto p = (dir_ / name).string();
    std::ofstream(p) << text;
    return p;
  }

  /// Imports `zone_text` as a zone; the test fails later if it did not import.
  CliRun import(const std::string& zone_text, const std::string& file = "z.zone") {
    return run({"zone", "import", write(file, zone_text)});
  }

  /// Every row of every table, in a stable order: equal dumps mean an unchanged database.
  std::string dump() {
    store::Db db(db_);
    std::vector<std::string> tables;
    {
      auto st = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name");
      while (st.step()) tables.push_back(st.text(0));
    }
    std::string out;
    for (const auto& t : tables) {
      out += "[" + t + "]\n";
      sqlite3_stmt* st = nullptr;
      std::string sql = "SELECT * FROM \"" + t + "\" ORDER BY rowid";
      if (sqlite3_prepare_v2(db.handle(), sql.c_str(), -1, &st, nullptr) != SQLITE_OK) {
        sql = "SELECT * FROM \"" + t + "\"";  // WITHOUT ROWID tables
        sqlite3_prepare_v2(db.handle(), sql.c_str(), -1, &st, nullptr);
      }
      while (sqlite3_step(st) == SQLITE_ROW) {
        for (int c = 0; c < sqlite3_column_count(st); ++c) {
          auto* text = sqlite3_column_text(st, c);
          out += text ? std::string(reinterpret_cast<const char*>(text),
                                    static_cast<size_t>(sqlite3_column_bytes(st, c)))
                      : "NULL";
          out += '|';
        }
        out += '\n';
      }
      sqlite3_finalize(st);
    }
    return out;
  }

  const std::string& db() const { return db_; }

 private:
  std::filesystem::path dir_;
  std::string db_;
};

inline bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace fodns::test
