// Record presentation text before it reaches ldns. ldns 1.8.3 parses it with
// ldns_bget_token, which writes one byte past its token buffer for every line break inside
// parentheses without checking the buffer's limit (issue 14: a heap overflow reachable from
// `record add` and from any text handed to ldns_rr_new_frm_str). ldns also reads numbers with
// strtol and a cast, so that 70000 in a 16-bit field silently became 4464. Every record text
// fodns parses goes through rr_from_presentation(), which scans it with our own tokenizer
// first: line breaks are folded, lengths bounded, numbers range-checked.
// Threading: pure functions, no shared state.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "dns/ldns_ptr.h"

namespace fodns::dns {

/// Longest record text handed to ldns: its rdata buffer holds 65,535 characters and it cuts
/// longer text silently (ldns_rr_new_frm_str_internal ignores the tokenizer's -1).
constexpr size_t kMaxRecordText = 65000;

/// The tokens of one record as ldns splits them: blanks separate, "..." is one token (quotes
/// kept), a backslash escapes the next character, ( ) are dropped, ';' starts a comment up to
/// the end of the line. A line break outside parentheses ends the record.
struct RrTokens {
  bool has_owner = false;  // false when the text starts with a blank (the previous owner)
  std::vector<std::string_view> tokens;
};
RrTokens split_rr_tokens(std::string_view text);

/// One-line text that ldns_rr_new_frm_str parses as the zone-file reader would: comments are
/// removed, line breaks become blanks (`\010` inside a quoted string). Refuses NUL bytes,
/// text longer than kMaxRecordText and unbalanced parentheses.
Result<std::string> ldns_ready_text(std::string_view text);

/// Checks ready text (ldns_ready_text) before ldns parses it: the owner (ldns takes any owner
/// that starts with '@', such as "@x", as the origin) and the numbers (check_rr_ranges).
/// @return why it is refused, or empty. (Not std::optional: ldns.h's `bool` macro, included
/// above, breaks <optional>.)
std::string check_rr_text(std::string_view ready);

/// Parses one record with ldns after ldns_ready_text() and check_rr_text(); `origin` may be
/// null. The class is left to the caller to check.
Result<LdnsRr> rr_from_presentation(std::string_view text, const ldns_rdf* origin);

}  // namespace fodns::dns
