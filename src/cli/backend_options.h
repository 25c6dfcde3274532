// The options shared by `fodns backend add` and `backend set`, and the validation of a
// backend's configuration (run on the result of an edit, so that `set` cannot make a
// backend that `add` would refuse). Internal to src/cli.
#pragma once

#include <string_view>

#include <cxxopts.hpp>

#include "cli/cli_common.h"
#include "store/backend_repo.h"

namespace fodns::cli {

/// Adds --address --port --probe --transport --interval --timeout --rise --fall
/// --alive-codes --sip-uri. With `show_defaults` (add) the help shows the defaults;
/// without (set) it says a field left out is unchanged.
void add_backend_options(cxxopts::Options& opts, bool show_defaults);

/// Copies the options given in `r` onto `b`, then validates the result. Throws UsageError
/// naming the field. When --probe moves a backend away from sip-options, a stored
/// --transport tcp and --sip-uri are reset (with a note on ctx.err) unless given again.
void apply_backend_options(const Context& ctx, std::string_view command,
                           const cxxopts::ParseResult& r, store::Backend& b);

/// NAME: [A-Za-z0-9_.-]{1,64}. Throws UsageError.
void check_backend_name(std::string_view command, std::string_view name);

/// "192.0.2.10:5060", "[2001:db8::1]:5060".
std::string address_port(const store::Backend& b);

/// The stored error, only next to the failing result it explains: a backend that
/// answers again keeps its old error in the database, but it is no longer news.
std::string_view current_error(const store::BackendState& s);
/// "ok", "timeout after 800 ms" (not "timeout: timeout after 800 ms"),
/// "bad_status: SIP 503 Service Unavailable"; "-" before the first probe.
std::string result_text(const store::BackendState& s);

}  // namespace fodns::cli
