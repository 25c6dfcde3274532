// AliveCodes parsing, outcome and kind names.
#include <doctest/doctest.h>

#include "probes/probe.h"

using namespace fodns::probes;

TEST_CASE("alive codes: the default is 200-499 without 408") {
  AliveCodes a;
  CHECK(a.text() == "200-407,409-499");
  CHECK(a.contains(200));
  CHECK(a.contains(404));
  CHECK(a.contains(407));
  CHECK_FALSE(a.contains(408));
  CHECK(a.contains(409));
  CHECK(a.contains(499));
  CHECK_FALSE(a.contains(503));
  CHECK_FALSE(a.contains(100));
  CHECK_FALSE(a.contains(0));
  CHECK_FALSE(a.contains(-1));
  CHECK_FALSE(a.contains(700));
}

TEST_CASE("alive codes: lists and ranges") {
  auto a = AliveCodes::parse("200,202-299");
  REQUIRE(a.ok());
  CHECK(a->contains(200));
  CHECK_FALSE(a->contains(201));
  CHECK(a->contains(202));
  CHECK(a->contains(299));
  CHECK_FALSE(a->contains(300));
  CHECK(a->text() == "200,202-299");

  auto b = AliveCodes::parse(" 200 - 299 , 404 ");
  REQUIRE(b.ok());
  CHECK(b->contains(250));
  CHECK(b->contains(404));
  CHECK(AliveCodes::parse("100-699").ok());
  CHECK(AliveCodes::parse("200-200").ok());
}

TEST_CASE("alive codes: errors name the bad part") {
  struct Case {
    const char* text;
    const char* needle;
  };
  for (auto c : {Case{"", "empty"}, Case{"200,abc", "\"abc\""}, Case{"200-", "\"200-\""}, Case{"99", "\"99\""},
                 Case{"700", "\"700\""}, Case{"200,,300", "\"\""}, Case{"300-200", "backwards"},
                 Case{"2000", "\"2000\""}, Case{"200-407,409-4999", "\"409-4999\""}, Case{"+200", "\"+200\""},
                 Case{"20 0", "\"20 0\""}}) {
    CAPTURE(c.text);
    auto r = AliveCodes::parse(c.text);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find(c.needle) != std::string::npos);
  }
}

TEST_CASE("outcome and kind names") {
  CHECK(outcome_name(Outcome::Ok) == "ok");
  CHECK(outcome_name(Outcome::Timeout) == "timeout");
  CHECK(outcome_name(Outcome::Refused) == "refused");
  CHECK(outcome_name(Outcome::Unreachable) == "unreachable");
  CHECK(outcome_name(Outcome::BadStatus) == "bad_status");
  CHECK(outcome_name(Outcome::Garbage) == "garbage");
  CHECK(outcome_name(Outcome::Error) == "error");
  CHECK(kind_name(Kind::SipOptions) == "sip-options");
  CHECK(kind_name(Kind::Icmp) == "icmp");
  CHECK(kind_name(Kind::Tcp) == "tcp");
}
