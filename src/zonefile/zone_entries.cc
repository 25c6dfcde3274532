#include "zonefile/zone_entries.h"

#include <algorithm>

namespace fodns::zonefile {

bool ZoneEntryReader::next(ZoneEntry& out) {
  while (pos_ < data_.size()) {
    size_t start = pos_;
    int first_line = 0;
    int parens = 0;
    bool quoted = false;
    size_t p = pos_;
    // An entry ends at a line break outside parentheses (ldns ends it there even inside a
    // quote; the unclosed quote is then reported by the parser).
    for (; p < data_.size(); ++p) {
      char c = data_[p];
      if (c == '\n') {
        ++line_;
        if (parens <= 0) break;
        continue;
      }
      if (c == '\\') {
        if (!first_line) first_line = line_;
        if (p + 1 < data_.size() && data_[p + 1] != '\n') ++p;
        continue;
      }
      if (quoted) {
        if (c == '"') quoted = false;
        continue;
      }
      if (c == ';') {
        while (p + 1 < data_.size() && data_[p + 1] != '\n') ++p;
        continue;
      }
      if (c == ' ' || c == '\t' || c == '\r') continue;
      if (!first_line) first_line = line_;
      if (c == '"') quoted = true;
      if (c == '(') ++parens;
      if (c == ')') --parens;
    }
    pos_ = std::min(p + 1, data_.size());
    if (!first_line) continue;  // blank or comment only
    out.text = data_.substr(start, p - start);
    out.line = first_line;
    return true;
  }
  return false;
}

int ZoneEntryReader::total_lines() const {
  int n = static_cast<int>(std::count(data_.begin(), data_.end(), '\n'));
  return (!data_.empty() && data_.back() == '\n') ? n : n + 1;
}

}  // namespace fodns::zonefile
