#include "store/db.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include "schema_sql.h"

namespace fodns::store {

namespace {
void check(sqlite3* db, int rc, std::string_view what) {
  if (rc != SQLITE_OK && rc != SQLITE_DONE && rc != SQLITE_ROW) {
    throw StoreError(fmt::format("{}: {}", what, db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
  }
}
}  // namespace

Statement::Statement(sqlite3* db, std::string_view sql) : db_(db) {
  check(db_, sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr),
        "prepare");
}
Statement::~Statement() {
  if (stmt_) sqlite3_finalize(stmt_);
}
Statement& Statement::bind(int idx, int64_t v) {
  check(db_, sqlite3_bind_int64(stmt_, idx, v), "bind");
  return *this;
}
Statement& Statement::bind(int idx, std::string_view v) {
  check(db_, sqlite3_bind_text(stmt_, idx, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT),
        "bind");
  return *this;
}
Statement& Statement::bind(int idx, std::span<const uint8_t> v) {
  // sqlite3_bind_blob with a null pointer would bind NULL; records may have empty rdata.
  static const uint8_t kEmpty = 0;
  check(db_,
        sqlite3_bind_blob(stmt_, idx, v.empty() ? &kEmpty : v.data(), static_cast<int>(v.size()),
                          SQLITE_TRANSIENT),
        "bind");
  return *this;
}
Statement& Statement::bind_null(int idx) {
  check(db_, sqlite3_bind_null(stmt_, idx), "bind");
  return *this;
}
bool Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  throw StoreError(fmt::format("{}", sqlite3_errmsg(db_)));
}
void Statement::run() {
  while (step()) {
  }
}
void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}
std::string Statement::text(int col) const {
  const unsigned char* p = sqlite3_column_text(stmt_, col);
  return p ? std::string(reinterpret_cast<const char*>(p),
                         static_cast<size_t>(sqlite3_column_bytes(stmt_, col)))
           : std::string();
}
std::vector<uint8_t> Statement::blob(int col) const {
  const auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(stmt_, col));
  int n = sqlite3_column_bytes(stmt_, col);
  return p ? std::vector<uint8_t>(p, p + n) : std::vector<uint8_t>();
}

Db::Db(const std::string& path, bool readonly) : path_(path) {
  bool existed = path != ":memory:" && !path.empty() && access(path.c_str(), F_OK) == 0;
  if (existed) refuse_foreign_file(path);
  if (!readonly && path != ":memory:" && access(path.c_str(), F_OK) != 0) {
    // Create the file ourselves so it is 0600 from the start: it will hold TSIG secrets.
    int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
    if (fd < 0 && errno != EEXIST) {
      throw StoreError(fmt::format("cannot create database {}: {}", path, strerror(errno)));
    }
    if (fd >= 0) ::close(fd);
  }
  int flags = readonly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  flags |= SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw StoreError(fmt::format("cannot open database {}: {}", path, msg));
  }
  sqlite3_busy_timeout(db_, 5000);
  try {
    exec("PRAGMA foreign_keys = ON");
    // Another program's SQLite database: never add our tables to it.
    if (existed && schema_version() == 0)
      throw StoreError(fmt::format("{}: not a fodns database (a SQLite database without the "
                                   "fodns schema); give --db a new file or a fodns database", path));
    if (!readonly) {
      exec("PRAGMA journal_mode = WAL");
      exec("PRAGMA synchronous = NORMAL");
      migrate();
    }
  } catch (const StoreError& e) {
    sqlite3_close(db_);
    db_ = nullptr;
    // "file is not a database" alone does not say which file.
    std::string_view msg = e.what();
    if (msg.rfind(path + ":", 0) == 0) throw;
    throw StoreError(fmt::format("{}: {}", path, msg));
  } catch (...) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

void Db::refuse_foreign_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return;  // sqlite3_open_v2 reports it
  if (S_ISDIR(st.st_mode)) throw StoreError(fmt::format("{}: is a directory, not a fodns database", path));
  // A 0-byte file would silently become an empty database served with no zones:
  // most likely a wrong path or a failed copy. A missing file is created instead.
  if (S_ISREG(st.st_mode) && st.st_size == 0)
    throw StoreError(fmt::format("{}: empty file, not a fodns database (remove it to start a new one)", path));
  // Anything else that is not SQLite fails at the first read with "file is not a database".
}

Db::~Db() {
  if (db_) sqlite3_close(db_);
}

void Db::exec(const char* sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    throw StoreError(fmt::format("{}: {}", path_, msg));
  }
}

int Db::schema_version() {
  auto st = prepare("PRAGMA user_version");
  st.step();
  return static_cast<int>(st.int64(0));
}

int64_t Db::data_version() {
  auto st = prepare("PRAGMA data_version");
  st.step();
  return st.int64(0);
}

void Db::migrate() {
  int current = schema_version();
  int newest = kSchemaSteps.back().version;
  if (current > newest) {
    throw StoreError(fmt::format(
        "{}: schema version {} is newer than this fodns understands ({}); upgrade fodns", path_,
        current, newest));
  }
  if (current == newest) return;
  // All steps in one transaction: a failed migration leaves the old schema intact.
  Transaction tx(*this);
  for (const auto& step : kSchemaSteps) {
    if (step.version <= current) continue;
    std::string sql(step.sql);
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
      std::string msg = err ? err : "unknown error";
      sqlite3_free(err);
      throw StoreError(fmt::format("{}: migration {} failed: {}", path_, step.file, msg));
    }
    exec(fmt::format("PRAGMA user_version = {}", step.version).c_str());
  }
  tx.commit();
}

Transaction::Transaction(Db& db) : db_(db) { db_.exec("BEGIN IMMEDIATE"); }
Transaction::~Transaction() {
  if (!done_) sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}
void Transaction::commit() {
  db_.exec("COMMIT");
  done_ = true;
}

}  // namespace fodns::store
