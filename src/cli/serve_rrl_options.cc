#include "cli/serve_rrl_options.h"

#include "cli/cli_args.h"

#include <vector>

#include <fmt/format.h>

namespace fodns::cli {

void add_rrl_options(cxxopts::Options& options) {
  options.add_options()
      ("rrl-rate", fmt::format("response rate limiting over UDP: responses per second per client "
                               "prefix and response class, 0..1000000, 0 = off (default {}; NSD's is 200)",
                               server::kDefaultRrlRate),
       cxxopts::value<std::string>()->default_value(std::to_string(server::kDefaultRrlRate)), "N")
      ("rrl-slip", "send every Nth rate-limited response as a TC=1 reply (BADCOOKIE to a client "
                   "with a cookie), drop the rest: 0 = drop all, 1 = slip all, 0..100",
       cxxopts::value<std::string>()->default_value(std::to_string(server::kDefaultRrlSlip)), "N")
      ("rrl-ipv4-prefix", "IPv4 clients are limited per prefix of this length, 8..32",
       cxxopts::value<std::string>()->default_value("24"), "LEN")
      ("rrl-ipv6-prefix", "IPv6 clients are limited per prefix of this length, 16..128",
       cxxopts::value<std::string>()->default_value("56"), "LEN")
      ("rrl-exempt", "never rate-limit this prefix (ADDR or ADDR/LEN); repeat for several, or "
                     "none (default: 127.0.0.0/8 and ::1)",
       cxxopts::value<std::vector<std::string>>(), "PREFIX");
}

Result<server::RrlConfig> rrl_config(const cxxopts::ParseResult& r) {
  auto number_arg = [&r](std::string_view opt, int64_t lo, int64_t hi) {
    return int_arg("serve", fmt::format("--{}", opt), r[std::string(opt)].as<std::string>(), lo, hi);
  };
  server::RrlConfig c;
  c.rate = static_cast<uint32_t>(number_arg("rrl-rate", 0, 1'000'000));
  c.slip = static_cast<uint32_t>(number_arg("rrl-slip", 0, 100));
  c.ipv4_prefix = static_cast<int>(
      number_arg("rrl-ipv4-prefix", 8, 32));
  c.ipv6_prefix = static_cast<int>(
      number_arg("rrl-ipv6-prefix", 16, 128));
  c.exempt = server::loopback_exempt();
  if (r.count("rrl-exempt")) {
    auto exempt = server::parse_rrl_exempt(r["rrl-exempt"].as<std::vector<std::string>>());
    if (!exempt) return make_error("--rrl-exempt {}", exempt.error().message);
    c.exempt = std::move(*exempt);
  }
  return c;
}

}  // namespace fodns::cli
