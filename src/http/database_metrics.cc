#include "http/database_metrics.h"

namespace fodns::http {

void render_database_metrics(const status::StatusData* st, fmt::memory_buffer& out) {
  auto o = fmt::appender(out);
  fmt::format_to(o,
                 "# HELP fodns_database_readable 1 while the database can be read; 0 while it "
                 "cannot (the last good snapshot is still served).\n"
                 "# TYPE fodns_database_readable gauge\n"
                 "fodns_database_readable {}\n",
                 !st || st->database_readable ? 1 : 0);
  fmt::format_to(o,
                 "# HELP fodns_database_last_read_timestamp_seconds Unix time of the last good "
                 "read of the database (age: time() minus this).\n"
                 "# TYPE fodns_database_last_read_timestamp_seconds gauge\n");
  if (st && st->database_last_good_read_ms > 0)
    fmt::format_to(o, "fodns_database_last_read_timestamp_seconds {:.3f}\n",
                   static_cast<double>(st->database_last_good_read_ms) / 1000.0);
}

}  // namespace fodns::http
