// JSON string escaping for the CLI's --json output and HTTP's /status: the
// two must agree, since /status has the shape of `fodns status --json`.
// Threading: pure functions.
#pragma once

#include <string>
#include <string_view>

namespace fodns {

/// Appends `s` to `out` as a JSON string body (without the quotes).
void append_json_escaped(std::string& out, std::string_view s);
/// `s` as a JSON string body (without the quotes).
std::string json_escape(std::string_view s);

}  // namespace fodns
