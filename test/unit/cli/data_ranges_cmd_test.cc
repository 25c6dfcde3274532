// Issue 14 "Data that is silently changed": import and `record add` refuse numbers that do
// not fit their field (with FILE:LINE or the argument, and the field named), exit 2, and
// leave the database as it was.
#include <doctest/doctest.h>

#include "cli_fixture.h"

using namespace fodns;
using test::contains;

namespace {
constexpr const char* kHead =
    "$ORIGIN example.net.\n"
    "$TTL 300\n"
    "@ IN SOA ns1 hostmaster 1 3600 600 1209600 30\n"
    "  IN NS ns1\n"
    "ns1 IN A 192.0.2.1\n";

void check_import_refused(const std::string& zone, const std::string& message) {
  test::CliFixture f;
  std::string before = f.dump();
  auto r = f.import(zone);
  CHECK_MESSAGE(r.code == cli::kExitData, r.err);
  CHECK_MESSAGE(contains(r.err, message), r.err);
  CHECK(f.dump() == before);
}
}  // namespace

TEST_CASE("zone import: 16-bit fields that do not fit are refused, naming line and field") {
  std::string z = kHead;
  check_import_refused(z + "_sip._udp 30 IN SRV 70000 65536 65537 sip\n",
                       "z.zone:6: SRV priority 70000 is out of range 0..65535");
  check_import_refused(z + "@ MX 65536 ns1\n", "z.zone:6: MX preference 65536 is out of range");
  check_import_refused(z + "n IN NAPTR 65536 70000 \"s\" \"SIP+D2U\" \"\" _sip._udp\n",
                       "z.zone:6: NAPTR order 65536 is out of range 0..65535");
  check_import_refused(z + "n IN NAPTR 1 70000 \"s\" \"SIP+D2U\" \"\" _sip._udp\n",
                       "z.zone:6: NAPTR preference 70000 is out of range 0..65535");
}

TEST_CASE("zone import: TTLs and $TTL above 2^31-1 or negative are refused (RFC 2181 §8)") {
  std::string z = kHead;
  check_import_refused(z + "a 8589934597 A 192.0.2.2\n", "z.zone:6: TTL 8589934597 is above 2147483647");
  check_import_refused(z + "a 4294967296 A 192.0.2.2\n", "z.zone:6: TTL 4294967296 is above 2147483647");
  std::string head = kHead;
  auto with_ttl = [&](const char* ttl) {
    return "$ORIGIN example.net.\n$TTL " + std::string(ttl) + head.substr(head.find('\n', 21));
  };
  check_import_refused(with_ttl("99999999999"), "z.zone:2: $TTL: TTL 99999999999 is above 2147483647");
  check_import_refused(with_ttl("-5"), "z.zone:2: $TTL: TTL '-5' is not a number of seconds");
  test::CliFixture f;
  auto ok = f.import(with_ttl("2147483647"));
  CHECK_MESSAGE(ok.code == 0, ok.err);
}

TEST_CASE("record add: a number out of its field's range is refused, nothing stored") {
  test::CliFixture f;
  REQUIRE(f.import(kHead).code == 0);
  std::string before = f.dump();
  auto r = f.run({"record", "add", "r1.example.net.", "60", "SRV", "1", "2", "70000", "x.example.net."});
  CHECK(r.code == cli::kExitData);
  CHECK_MESSAGE(contains(r.err, "record add: RDATA '1 2 70000 x.example.net.': SRV port 70000 is "
                                "out of range 0..65535"), r.err);
  r = f.run({"record", "add", "m.example.net.", "60", "MX", "65536", "x.example.net."});
  CHECK(r.code == cli::kExitData);
  CHECK(contains(r.err, "MX preference 65536"));
  r = f.run({"record", "add", "m.example.net.", "4294967296", "A", "192.0.2.3"});
  CHECK(r.code == cli::kExitUsage);
  CHECK(contains(r.err, "above 2147483647"));
  CHECK(f.dump() == before);
}

TEST_CASE("bug014_ldns_paren_newlines: record add with 70000 line breaks in parentheses") {
  // It corrupted the heap ("double free or corruption", exit 134) in ldns_bget_token.
  test::CliFixture f;
  REQUIRE(f.import(kHead).code == 0);
  std::string before = f.dump();
  auto r = f.run({"record", "add", "z.example.net.", "60", "TXT", "(" + std::string(70000, '\n') + ")"});
  CHECK(r.code == cli::kExitData);
  CHECK_MESSAGE(contains(r.err, "record text is longer than 65000 characters"), r.err);
  CHECK(!contains(r.err, "\n\n"));  // the RDATA is quoted escaped and cut, not 70000 lines
  CHECK(f.dump() == before);
  // Fewer line breaks are folded and the record is stored as written.
  r = f.run({"record", "add", "z.example.net.", "60", "TXT",
             "(\"a\"" + std::string(20000, '\n') + "\"b\")"});
  CHECK_MESSAGE(r.code == 0, r.err);
  CHECK(contains(r.out, "TXT\t\"a\" \"b\""));
}

TEST_CASE("CNAME loops are refused at import and at record add, naming the loop") {
  std::string z = kHead;
  check_import_refused(z + "a CNAME b\nx A 192.0.2.5\nb CNAME a\n",
                       "z.zone:6: CNAME loop: a.example.net. -> b.example.net. -> a.example.net.");
  check_import_refused(z + "s CNAME S.example.net.\n",
                       "z.zone:6: CNAME loop: s.example.net. -> s.example.net.");
  test::CliFixture f;
  REQUIRE(f.import(z + "a CNAME b\nb CNAME c\nc A 192.0.2.5\n").code == 0);
  REQUIRE(f.run({"record", "rm", "c.example.net.", "A"}).code == 0);
  std::string before = f.dump();
  auto r = f.run({"record", "add", "c.example.net.", "60", "CNAME", "A.example.net."});
  CHECK(r.code == cli::kExitData);
  CHECK_MESSAGE(contains(r.err, "record add: CNAME loop: c.example.net. -> a.example.net. -> "
                                "b.example.net. -> c.example.net."), r.err);
  CHECK(f.dump() == before);
  r = f.run({"record", "add", "c.example.net.", "60", "CNAME", "d.example.net."});
  CHECK_MESSAGE(r.code == 0, r.err);
}

TEST_CASE("zone import: $TTL 0 gives records without a TTL the TTL 0 (ldns gave 3600)") {
  test::CliFixture f;
  std::string z = "$ORIGIN example.net.\n$TTL 0\n@ IN SOA ns1 hostmaster 1 3600 600 1209600 30\n"
                  "  IN NS ns1\nns1 60 IN A 192.0.2.1\n";
  REQUIRE(f.import(z).code == 0);
  auto out = f.run({"zone", "export", "example.net."}).out;
  CHECK_MESSAGE(contains(out, "example.net.\t0\tIN\tNS\tns1.example.net."), out);
  CHECK(contains(out, "ns1.example.net.\t60\tIN\tA\t192.0.2.1"));
}
