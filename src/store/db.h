// Db: an RAII sqlite3 connection with WAL, a busy timeout and foreign keys on,
// migrated to the newest schema when opened. Statement: an RAII prepared statement.
// Threading: one Db per thread; only the control loop and the CLI use the store,
// never a DNS worker. Errors throw StoreError (control plane only, see STYLE.md §6).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace fodns::store {

class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement(Statement&& o) noexcept : db_(o.db_), stmt_(o.stmt_) { o.stmt_ = nullptr; }

  Statement& bind(int idx, int64_t v);
  Statement& bind(int idx, std::string_view v);
  Statement& bind(int idx, std::span<const uint8_t> v);
  Statement& bind_null(int idx);

  /// Steps once; true while a row is available, false when done.
  bool step();
  /// Steps to completion (for statements that return no rows).
  void run();
  void reset();

  int64_t int64(int col) const { return sqlite3_column_int64(stmt_, col); }
  bool is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::string text(int col) const;
  std::vector<uint8_t> blob(int col) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};

class Db {
 public:
  /// Opens (creating if needed, mode 0600) and migrates. Throws StoreError.
  explicit Db(const std::string& path, bool readonly = false);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  sqlite3* handle() const { return db_; }
  const std::string& path() const { return path_; }
  Statement prepare(std::string_view sql) { return Statement(db_, sql); }
  void exec(const char* sql);
  int64_t last_insert_id() const { return sqlite3_last_insert_rowid(db_); }
  int changes() const { return sqlite3_changes(db_); }
  int schema_version();
  /// PRAGMA data_version: changes whenever another connection commits.
  int64_t data_version();

 private:
  void migrate();
  /// Throws StoreError for an existing path that cannot be a fodns database (empty file, directory).
  static void refuse_foreign_file(const std::string& path);
  sqlite3* db_ = nullptr;
  std::string path_;
};

/// BEGIN IMMEDIATE on construction, ROLLBACK on destruction unless commit() was called:
/// a failed command leaves the database as it was.
class Transaction {
 public:
  explicit Transaction(Db& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Db& db_;
  bool done_ = false;
};

/// Runs `read` inside one read transaction (BEGIN ... COMMIT), so that everything it
/// reads comes from the same commit; rolled back if it throws.
template <typename F>
void read_consistently(Db& db, F&& read) {
  db.exec("BEGIN");
  try {
    read();
  } catch (...) {
    db.exec("ROLLBACK");
    throw;
  }
  db.exec("COMMIT");
}

}  // namespace fodns::store
