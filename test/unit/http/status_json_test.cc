// /status JSON: the shape of `fodns status --json`, escaping, nulls, a drain winning.
#include "http/status_json.h"
#include "common/json_escape.h"

#include <doctest/doctest.h>

using namespace fodns;

TEST_CASE("status JSON has the CLI's shape") {
  status::StatusData st;
  status::BackendStatus a;
  a.name = "sip\"a";
  a.address = "192.0.2.11";
  a.port = 5060;
  a.probe = "sip-options";
  a.transport = "udp";
  a.state = "up";
  a.since_ms = 1000;
  a.last_check_ms = 2000;
  a.last_rtt_us = 1500;
  a.last_result = "ok";
  a.successes = 3;
  st.backends.push_back(a);
  status::BackendStatus b;
  b.name = "b";
  b.state = "unknown";
  b.drained = true;
  b.drain_reason = "maintenance\n";
  b.since_ms = 5000;
  st.backends.push_back(b);
  st.zones.push_back({"example.net.", 7, 12, 10});
  std::string j = http::render_status_json(st);
  CHECK(j ==
        "{\"backends\":[{\"name\":\"sip\\\"a\",\"address\":\"192.0.2.11\",\"port\":5060,"
        "\"probe\":\"sip-options\",\"transport\":\"udp\",\"state\":\"up\",\"since_ms\":1000,"
        "\"last_check_ms\":2000,\"last_rtt_ms\":1.500,\"last_result\":\"ok\",\"last_error\":null,"
        "\"successes\":3,\"failures\":0,\"drained\":false,\"drain_reason\":null},"
        "{\"name\":\"b\",\"address\":\"\",\"port\":0,\"probe\":\"\",\"transport\":\"\","
        "\"state\":\"drained\",\"since_ms\":5000,\"last_check_ms\":null,\"last_rtt_ms\":null,"
        "\"last_result\":null,\"last_error\":null,\"successes\":0,\"failures\":0,"
        "\"drained\":true,\"drain_reason\":\"maintenance\\n\"}],"
        "\"zones\":[{\"name\":\"example.net.\",\"serial\":7,\"records\":12}],"
        "\"degraded\":null,\"probing\":false}\n");
}

TEST_CASE("JSON escaping of control characters") {
  std::string out;
  append_json_escaped(out, std::string_view("a\x01\tb\\", 5));
  CHECK(out == "a\\u0001\\tb\\\\");
}

TEST_CASE("status JSON says when the server is degraded") {
  status::StatusData st;
  st.degraded_reason = "database unreadable since 2026-12-05T19:50:01Z: \"x\"";
  CHECK(http::render_status_json(st) ==
        "{\"backends\":[],\"zones\":[],\"degraded\":\"database unreadable since "
        "2026-12-05T19:50:01Z: \\\"x\\\"\",\"probing\":null}\n");
}
