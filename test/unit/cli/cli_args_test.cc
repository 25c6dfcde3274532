// cli_args: the duration parser and formatter, bounded integers, UTC times and ages.
#include <doctest/doctest.h>

#include "cli/cli_args.h"
#include "cli/cli_common.h"

using namespace fodns::cli;

TEST_CASE("cli_args: durations that parse") {
  CHECK(parse_duration_ms("250ms") == 250);
  CHECK(parse_duration_ms("1s") == 1000);
  CHECK(parse_duration_ms("1m") == 60000);
  CHECK(parse_duration_ms("1.5s") == 1500);
  CHECK(parse_duration_ms("0.25s") == 250);
  CHECK(parse_duration_ms("0.001s") == 1);
  CHECK(parse_duration_ms("1.5m") == 90000);
  CHECK(parse_duration_ms("0ms") == 0);  // parses; the backend validation refuses it
  CHECK(parse_duration_ms("007s") == 7000);
  CHECK(parse_duration_ms("1440m") == 86400000);  // the one-day ceiling itself
}

TEST_CASE("cli_args: durations that do not") {
  for (const char* bad : {"", "5", "5x", "s", "ms", "1h", "-1s", "+1s", ".5s", "1.s", "1..5s",
                          "1.5ms", "0.0001s", "1 s", " 1s", "1s ", "1sec", "1S", "1e3ms",
                          "1441m", "86400001ms", "999999999s", "1.000001s", "1,5s"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_duration_ms(bad).has_value());
  }
}

TEST_CASE("cli_args: formatted durations read back") {
  CHECK(format_duration_ms(250) == "250ms");
  CHECK(format_duration_ms(1000) == "1s");
  CHECK(format_duration_ms(1500) == "1.5s");
  CHECK(format_duration_ms(60000) == "1m");
  CHECK(format_duration_ms(90000) == "90s");
  CHECK(format_duration_ms(1234) == "1234ms");
  CHECK(format_duration_ms(0) == "0ms");
  for (int64_t ms : {1, 10, 250, 999, 1000, 1100, 1234, 59999, 60000, 61000, 3600000}) {
    CAPTURE(ms);
    CHECK(parse_duration_ms(format_duration_ms(ms)) == ms);
  }
}

TEST_CASE("cli_args: duration_arg and int_arg name the field") {
  try {
    (void)duration_arg("backend add", "--interval", "5x");
    FAIL("no error");
  } catch (const UsageError& e) {
    CHECK(std::string(e.what()) == "backend add: --interval '5x' is not a duration (use 250ms, 1s, 1m)");
  }
  CHECK(int_arg("c", "--port", "65535", 1, 65535) == 65535);
  CHECK(int_arg("c", "--n", "-3", -5, 5) == -3);
  CHECK_THROWS_WITH_AS(int_arg("c", "--port", "0", 1, 65535),
                       "c: --port '0' is out of range (allowed 1..65535)", UsageError);
  CHECK_THROWS_WITH_AS(int_arg("c", "--port", "12a", 1, 65535), "c: --port '12a' is not a number",
                       UsageError);
  CHECK_THROWS_AS(int_arg("c", "--port", "", 1, 65535), UsageError);
  CHECK_THROWS_AS(int_arg("c", "--port", "99999999999999999999999", 1, 65535), UsageError);
}

TEST_CASE("cli_args: UTC times and ages") {
  CHECK(format_utc(0, false) == "1970-01-01T00:00:00Z");
  CHECK(format_utc(1'772'366'405'123, true) == "2026-03-01T12:00:05.123Z");
  CHECK(format_utc(1'772'366'405'123, false) == "2026-03-01T12:00:05Z");
  CHECK(format_utc(5, true) == "1970-01-01T00:00:00.005Z");
  CHECK(format_age(-5) == "0ms");
  CHECK(format_age(850) == "850ms");
  CHECK(format_age(42'000) == "42s");
  CHECK(format_age(192'000) == "3m12s");
  CHECK(format_age(3'600'000 + 5 * 60'000) == "1h05m");
  CHECK(format_age(3 * 86'400'000LL + 4 * 3'600'000) == "3d04h");
}
