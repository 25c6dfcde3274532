// The `fodns serve` options of the public-internet defences: response rate
// limiting (--rrl-*). Kept apart from serve_cmd.cc so the option table and its
// checks live with the feature. Threading: startup only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <cxxopts.hpp>

#include "common/result.h"
#include "server/rrl.h"

namespace fodns::cli {

void add_rrl_options(cxxopts::Options& options);
/// The RateLimiter configuration from the parsed command line; an error names the option.
Result<server::RrlConfig> rrl_config(const cxxopts::ParseResult& r);

}  // namespace fodns::cli
