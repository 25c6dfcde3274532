// WriteBehind (app/write_behind.h) against a real database file that a second
// connection locks with BEGIN IMMEDIATE, as another process would: a flush under the
// lock returns at once and keeps everything; the log says so once per episode, not
// once per attempt, and not for a lock held less than a second (a CLI commit); after
// the lock is released one flush writes every event, the
// serial and its reservation, and the journal step; the event bound drops the oldest
// and counts them.
#include <doctest/doctest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "app/write_behind.h"
#include "store/backend_repo.h"
#include "store/serial_reservation.h"
#include "store/zone_repo.h"
#include "zonefile/zone_file.h"

using namespace fodns;

namespace {
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char tmpl[] = "/tmp/fodns-wb-XXXXXX";
    path = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

// Sends stderr (the log) to a file while alive; text() reads what was written.
struct StderrCapture {
  std::filesystem::path file;
  int saved = -1;
  explicit StderrCapture(const std::filesystem::path& dir) : file(dir / "stderr.txt") {
    fflush(stderr);
    saved = dup(2);
    FILE* f = fopen(file.c_str(), "w");
    dup2(fileno(f), 2);
    fclose(f);
  }
  ~StderrCapture() {
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
  }
  std::string text() const {
    std::ifstream in(file);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
};

size_t count(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t at = hay.find(needle); at != std::string::npos; at = hay.find(needle, at + 1)) ++n;
  return n;
}

int64_t events_in(store::Db& db) {
  auto st = db.prepare("SELECT COUNT(*) FROM events");
  st.step();
  return st.int64(0);
}
}  // namespace

TEST_CASE("write_behind: a locked database queues, logs once, and writes everything after") {
  TempDir dir;
  std::string path = (dir.path / "t.db").string();
  store::Db db(path);
  store::store_zone(db, zonefile::parse_zone_text("$ORIGIN a.example.\n@ 60 SOA ns1 h 10 2 3 4 5\n@ 60 NS ns1\n"
                                                  "ns1 60 A 192.0.2.1\n", "t").value().content, 0);
  int64_t zone = store::find_zone(db, "a.example.")->id;
  sqlite3_busy_timeout(db.handle(), 0);
  app::SerialBook book(256);
  app::WriteBehind wb(book);

  store::Db other(path);
  other.exec("BEGIN IMMEDIATE");  // what `sqlite3 db 'BEGIN IMMEDIATE; ...'` holds
  size_t extra_calls = 0;
  auto extra = [&](store::Db&) -> size_t { ++extra_calls; return 2; };
  {
    StderrCapture cap(dir.path);
    for (int i = 0; i < 30; ++i) {
      wb.add_event({0, "pbx1", health::State::Up, health::State::Down, 1000 + i, "timeout"});
      wb.set_serial(zone, 11 + static_cast<uint32_t>(i));
      auto t0 = std::chrono::steady_clock::now();
      CHECK_FALSE(wb.flush(db, extra, 2, 5000 + i * 100));  // attempts over 3 s
      CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(200));  // no busy wait
    }
    wb.add_journal_step({zone, {10, 11, 0, {1, 2}, {3, 4}}, 100, 3600});
    CHECK_FALSE(wb.flush(db, extra, 2, 8000));
    CHECK(wb.failing());
    CHECK(wb.queued_events() == 30);
    CHECK(wb.queued_journal_steps() == 1);
    CHECK(wb.queued_serials() == 1);  // the newest serial of the zone only
    other.exec("COMMIT");
    CHECK(wb.flush(db, extra, 2, 9000));
    CHECK(count(cap.text(), "after_ms=4000") == 1);
    std::string log = cap.text();
    CHECK(count(log, "cannot write the database") == 1);  // once per episode, not 30 times
    CHECK(count(log, "database writable again") == 1);
    CHECK(log.find("wrote=34") != std::string::npos);  // 30 events, 1 serial, 1 journal step, 2 states
  }
  CHECK_FALSE(wb.failing());
  CHECK(wb.queued_events() == 0);
  CHECK(extra_calls == 1);  // only once the transaction is open: never under the lock
  CHECK(events_in(db) == 30);
  auto journal = store::load_journal(db, zone);
  REQUIRE(journal.size() == 1);
  CHECK(journal[0].serial_to == 11);
  CHECK(journal[0].added == std::vector<uint8_t>{3, 4});
  CHECK(store::find_zone(db, "a.example.")->serial == 40);
  CHECK(store::load_serial_reservations(db).at(zone) == 40 + 256);
  CHECK(book.advance(zone, 40) == 41);  // the book knows the new reservation
}

TEST_CASE("write_behind: a lock shorter than kQuietMs logs nothing") {
  TempDir dir;
  std::string path = (dir.path / "t.db").string();
  store::Db db(path);
  sqlite3_busy_timeout(db.handle(), 0);
  app::SerialBook book;
  app::WriteBehind wb(book);
  store::Db other(path);
  StderrCapture cap(dir.path);
  other.exec("BEGIN IMMEDIATE");
  wb.add_event({0, "pbx1", health::State::Up, health::State::Down, 1, "timeout"});
  CHECK_FALSE(wb.flush(db, nullptr, 0, 10000));
  CHECK_FALSE(wb.flush(db, nullptr, 0, 10000 + app::WriteBehind::kQuietMs - 1));
  other.exec("COMMIT");
  CHECK(wb.flush(db, nullptr, 0, 10000 + app::WriteBehind::kQuietMs));
  CHECK(events_in(db) == 1);
  CHECK(cap.text().empty());
}

TEST_CASE("write_behind: the event bound drops the oldest and counts them") {
  store::Db db(":memory:");
  app::SerialBook book;
  app::WriteBehind wb(book, 3);
  for (int i = 0; i < 5; ++i)
    wb.add_event({0, "b", health::State::Up, health::State::Down, i, fmt::format("r{}", i)});
  CHECK(wb.queued_events() == 3);
  CHECK(wb.dropped_events() == 2);
  CHECK(wb.flush(db, nullptr, 0, 0));
  auto st = db.prepare("SELECT reason FROM events ORDER BY id");
  std::vector<std::string> reasons;
  while (st.step()) reasons.push_back(st.text(0));
  CHECK(reasons == std::vector<std::string>{"r2", "r3", "r4"});
}

TEST_CASE("write_behind: a stored serial ahead of the queued one is kept (never backward)") {
  store::Db db(":memory:");
  store::store_zone(db, zonefile::parse_zone_text("$ORIGIN a.example.\n@ 60 SOA ns1 h 10 2 3 4 5\n@ 60 NS ns1\n"
                                                  "ns1 60 A 192.0.2.1\n", "t").value().content, 0);
  int64_t zone = store::find_zone(db, "a.example.")->id;
  store::set_zone_serial(db, zone, 500, 0);
  app::SerialBook book(16);
  app::WriteBehind wb(book);
  wb.set_serial(zone, 20);
  CHECK(wb.flush(db, nullptr, 0, 0));
  CHECK(store::find_zone(db, "a.example.")->serial == 500);
}
