// A CNAME loop that reaches the snapshot (from a database written before loops were refused)
// answers each record once: it gave 9 CNAME records for a two-name loop (issue 14).
#include <doctest/doctest.h>

#include "answer_fixture.h"

using namespace fodns;

TEST_CASE("CNAME loop in the snapshot: each record is answered once") {
  const char* zone = R"(
example.net. 3600 IN SOA ns1.example.net. hostmaster.example.net. 7 3600 600 86400 60
example.net. 300 IN NS ns1.example.net.
ns1.example.net. 300 IN A 192.0.2.1
a.example.net. 300 IN CNAME b.example.net.
b.example.net. 300 IN CNAME a.example.net.
self.example.net. 300 IN CNAME SELF.example.net.
)";
  auto snap = test::build({test::zone_from_text("example.net.", zone)});
  auto r = test::ask(*snap, "a.example.net.", "A");
  CHECK(r.rcode() == 0);
  auto answer = r.answer();
  REQUIRE(answer.size() == 2);
  CHECK(answer[0] == "a.example.net.\t300\tIN\tCNAME\tb.example.net.");
  CHECK(answer[1] == "b.example.net.\t300\tIN\tCNAME\ta.example.net.");
  CHECK(test::ask(*snap, "self.example.net.", "A").answer().size() == 1);
}
