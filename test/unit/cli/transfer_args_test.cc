// cli/transfer_args and cli/base64, pure: NOTIFY targets, ACL rules and journal ages as
// `zone set` reads them (canonical forms, every refusal naming the option and the reason),
// and strict base64 as `tsig add --secret` reads it.
#include "cli/transfer_args.h"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "common/base64.h"
#include "cli/cli_common.h"

using namespace fodns;

namespace {

std::string notify(const char* text) { return cli::format_notify(cli::notify_arg("zone set", text)); }
std::string acl(const char* text) { return cli::format_acl(cli::acl_arg("zone set", text)); }

}  // namespace

TEST_CASE("transfer_args: notify targets, port 53 by default, IPv6 port in brackets") {
  CHECK(notify("192.0.2.53") == "192.0.2.53:53");
  CHECK(notify("192.0.2.53:5353") == "192.0.2.53:5353");
  CHECK(notify("2001:DB8:0::53") == "[2001:db8::53]:53");
  CHECK(notify("[2001:db8::53]") == "[2001:db8::53]:53");
  CHECK(notify("[2001:db8::53]:65535") == "[2001:db8::53]:65535");
  // Without brackets the last group is part of the address, not a port.
  CHECK(notify("2001:db8::53:5353") == "[2001:db8::53:5353]:53");
  CHECK(cli::notify_arg("c", "192.0.2.1:1").port == 1);

  auto refused = [](const char* text, const char* reason) {
    CAPTURE(text);
    CHECK_THROWS_WITH_AS(cli::notify_arg("zone set", text),
                         doctest::Contains(fmt::format("zone set: --notify '{}'", text).c_str()),
                         cli::UsageError);
    CHECK_THROWS_WITH_AS(cli::notify_arg("zone set", text), doctest::Contains(reason),
                         cli::UsageError);
  };
  refused("ns1.example.net", "is not an IPv4 or IPv6 address");
  refused("300.1.2.3", "'300.1.2.3' is not an IPv4 or IPv6 address");
  refused("", "is not an IPv4 or IPv6 address");
  refused("192.0.2.1:0", "port '0' is out of range (allowed 1..65535)");
  refused("192.0.2.1:65536", "port '65536' is out of range");
  refused("192.0.2.1:x", "port 'x' is out of range");
  refused("192.0.2.1:", "the port is empty");
  refused("[2001:db8::1]:", "the port is empty");
  refused("[2001:db8::1", "missing ']'");
  refused("[2001:db8::1]53", "expected ':PORT' after ']'");
  refused("[192.0.2.1]:53", "in brackets is not an IPv6 address");
}

TEST_CASE("transfer_args: ACL rules, canonical prefixes, key names normalised") {
  CHECK(acl("192.0.2.0/24") == "192.0.2.0/24");
  CHECK(acl("192.0.2.7") == "192.0.2.7/32");  // a bare address is a host
  CHECK(acl("2001:DB8::/32") == "2001:db8::/32");
  CHECK(acl("2001:db8::1") == "2001:db8::1/128");
  CHECK(acl("0.0.0.0/0") == "0.0.0.0/0");
  CHECK(acl("::/0") == "::/0");
  CHECK(acl("key:Xfr-Key") == "key:xfr-key.");
  CHECK(acl("key:xfr.") == "key:xfr.");
  CHECK(acl("192.0.2.0/24+key:XFR") == "192.0.2.0/24+key:xfr.");
  auto e = cli::acl_arg("c", "key:xfr");
  CHECK(e.prefix.empty());
  CHECK(e.key_name == "xfr.");
  e = cli::acl_arg("c", "10.0.0.0/8");
  CHECK(e.key_name.empty());

  auto refused = [](const char* text, const char* reason) {
    CAPTURE(text);
    CHECK_THROWS_WITH_AS(cli::acl_arg("zone set", text), doctest::Contains("--allow-transfer"),
                         cli::UsageError);
    CHECK_THROWS_WITH_AS(cli::acl_arg("zone set", text), doctest::Contains(reason),
                         cli::UsageError);
  };
  refused("", "is empty");
  refused("example.net", "'example.net' is not an IPv4 or IPv6 address");
  refused("192.0.2.0/33", "prefix length '33' is out of range (allowed 0..32 for IPv4)");
  refused("2001:db8::/129", "prefix length '129' is out of range (allowed 0..128 for IPv6)");
  refused("192.0.2.0/", "prefix length '' is out of range");
  refused("192.0.2.0/x", "prefix length 'x' is out of range");
  refused("192.0.2.1/24", "host bits are set after /24 (the network is 192.0.2.0/24)");
  refused("2001:db8::1/32", "host bits are set after /32 (the network is 2001:db8::/32)");
  refused("key:", "the key name is empty");
  refused("192.0.2.0/24+key:", "the key name is empty");
  refused("+key:xfr", "the prefix before '+' is empty");
  refused("192.0.2.0/24+xfr", "write PREFIX, key:NAME or PREFIX+key:NAME");
  refused("key:a..b", "key");
}

TEST_CASE("transfer_args: journal ages need a unit and stay within 1s..3650d") {
  CHECK(cli::duration_s_arg("c", "--journal-max-age", "30s") == 30);
  CHECK(cli::duration_s_arg("c", "--journal-max-age", "10m") == 600);
  CHECK(cli::duration_s_arg("c", "--journal-max-age", "12h") == 43200);
  CHECK(cli::duration_s_arg("c", "--journal-max-age", "7d") == 604800);
  CHECK(cli::duration_s_arg("c", "--journal-max-age", "3650d") == 3650 * 86400);
  for (const char* bad : {"", "7", "7w", "d", "1.5h", "-1d", "7 d"}) {
    CAPTURE(bad);
    CHECK_THROWS_WITH_AS(cli::duration_s_arg("zone set", "--journal-max-age", bad),
                         doctest::Contains("is not a duration"), cli::UsageError);
  }
  CHECK_THROWS_WITH_AS(cli::duration_s_arg("zone set", "--journal-max-age", "0s"),
                       "zone set: --journal-max-age '0s' is out of range (allowed 1s..3650d)",
                       cli::UsageError);
  CHECK_THROWS_AS(cli::duration_s_arg("c", "f", "3651d"), cli::UsageError);
  CHECK(cli::format_duration_s(604800) == "7d");
  CHECK(cli::format_duration_s(7200) == "2h");
  CHECK(cli::format_duration_s(600) == "10m");
  CHECK(cli::format_duration_s(90) == "90s");
}

TEST_CASE("base64: RFC 4648 test vectors, strict decoding") {
  auto enc = [](std::string_view s) {
    return fodns::base64_encode({reinterpret_cast<const uint8_t*>(s.data()), s.size()});
  };
  auto dec = [](std::string_view s) -> std::optional<std::string> {
    auto b = fodns::base64_decode(s);
    if (!b) return std::nullopt;
    return std::string(b->begin(), b->end());
  };
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}};
  for (auto [plain, coded] : vectors) {
    CHECK(enc(plain) == coded);
    CHECK(dec(coded) == std::string(plain));
  }
  std::vector<uint8_t> all(256);
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<uint8_t>(i);
  CHECK(fodns::base64_decode(fodns::base64_encode(all)) == all);
  for (const char* bad : {"Zg", "Zg=", "Z===", "Zm9v YmFy", "Zm9v\n", "Zg==Zg==", "Zm=v", "Zm9-",
                          "Zm9_"}) {
    CAPTURE(bad);
    CHECK_FALSE(fodns::base64_decode(bad));
  }
}
