// rdata_ranges.h first: ldns.h (through rr_text.h) breaks <optional> with its `bool` macro.
#include "dns/rdata_ranges.h"
#include "dns/rr_text.h"

namespace fodns::dns {

namespace {
bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }
}  // namespace

RrTokens split_rr_tokens(std::string_view text) {
  RrTokens out;
  out.has_owner = !text.empty() && !is_blank(text[0]) && text[0] != '\n';
  int parens = 0;
  size_t start = std::string_view::npos;
  bool quoted = false;
  auto end_token = [&](size_t at) {
    if (start != std::string_view::npos) out.tokens.push_back(text.substr(start, at - start));
    start = std::string_view::npos;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\\') {
      if (start == std::string_view::npos) start = i;
      ++i;  // the escaped character belongs to the token, whatever it is
      continue;
    }
    if (quoted) {
      if (c == '"') quoted = false;
      continue;
    }
    if (c == '"') {
      if (start == std::string_view::npos) start = i;
      quoted = true;
    } else if (c == ';') {
      end_token(i);
      while (i + 1 < text.size() && text[i + 1] != '\n') ++i;
    } else if (c == '(' || c == ')') {
      end_token(i);
      parens += c == '(' ? 1 : -1;
    } else if (c == '\n') {
      end_token(i);
      if (parens <= 0 && !out.tokens.empty()) break;
    } else if (is_blank(c)) {
      end_token(i);
    } else if (start == std::string_view::npos) {
      start = i;
    }
  }
  end_token(text.size());
  return out;
}

Result<std::string> ldns_ready_text(std::string_view text) {
  if (text.find('\0') != std::string_view::npos) return make_error("record text contains a NUL byte");
  if (text.size() > kMaxRecordText) {
    return make_error("record text is longer than {} characters", kMaxRecordText);
  }
  std::string out;
  out.reserve(text.size());
  int parens = 0;
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\\' && i + 1 < text.size()) {
      out += c;
      char next = text[++i];
      // An escaped line break is the byte 10: written as \010 so that ldns never sees it.
      if (next == '\n') {
        out += "010";
      } else {
        out += next;
      }
      continue;
    }
    if (c == '\n') {
      out += quoted ? "\\010" : " ";
      continue;
    }
    if (quoted) {
      if (c == '"') quoted = false;
      out += c;
      continue;
    }
    if (c == ';') {
      while (i + 1 < text.size() && text[i + 1] != '\n') ++i;
      continue;
    }
    if (c == '"') quoted = true;
    // Once line breaks are folded, parentheses only group: a blank in their place, so that
    // ldns and split_rr_tokens see the same tokens (ldns glued "a(60)" into "a60").
    if (c == '(' || c == ')') {
      parens += c == '(' ? 1 : -1;
      if (parens < 0) return make_error("')' without '('");
      out += ' ';
      continue;
    }
    out += c;
  }
  if (quoted) return make_error("a quoted string is not closed");
  if (parens != 0) return make_error("'(' without ')'");
  return out;
}

std::string check_rr_text(std::string_view ready) {
  if (ready.size() > 1 && ready[0] == '@' && ready[1] != ' ' && ready[1] != '\t' && ready[1] != '(') {
    size_t end = ready.find_first_of(" \t");
    return fmt::format("owner '{}': '@' alone stands for the origin; write \\@ for a label "
                       "that starts with '@'", ready.substr(0, end));
  }
  // ldns ends a quoted string at the closing quote even inside a token, so `ip" "` is two
  // strings to it and one token here: unescaped quotes may only open and close a token.
  for (std::string_view t : split_rr_tokens(ready).tokens) {
    size_t quotes = 0;
    bool misplaced = false;
    for (size_t i = 0; i < t.size(); ++i) {
      if (t[i] == '\\') {
        ++i;
      } else if (t[i] == '"') {
        misplaced |= !(i == 0 || (i == t.size() - 1 && t[0] == '"'));
        ++quotes;
      }
    }
    if (misplaced || quotes == 1) {
      return fmt::format("'{}': a quote must open and close a whole string", t);
    }
  }
  return check_rr_ranges(ready).value_or("");
}

Result<LdnsRr> rr_from_presentation(std::string_view text, const ldns_rdf* origin) {
  auto ready = ldns_ready_text(text);
  if (!ready) return ready.error();
  if (auto bad = check_rr_text(*ready); !bad.empty()) return Error{bad};
  ldns_rr* raw = nullptr;
  ldns_status st = ldns_rr_new_frm_str(&raw, ready->c_str(), 3600, origin, nullptr);
  LdnsRr rr(raw);
  if (st != LDNS_STATUS_OK || !rr) return make_error("{}", ldns_get_errorstr_by_id(st));
  return rr;
}

}  // namespace fodns::dns
