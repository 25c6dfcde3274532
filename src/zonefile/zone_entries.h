// Splits master-file text into entries (one record or directive each, RFC 1035 §5.1): a line,
// or several lines joined by parentheses. fodns splits them itself and hands each entry to
// ldns_rr_new_frm_str as one line, rather than letting ldns read the file one getc() at a
// time (14% of a 1,000,000-record import), and so knows each entry's line without counting
// again. Comments, quotes and escapes are followed as ldns follows them.
// Threading: one reader per thread; pure.
#pragma once

#include <cstddef>
#include <string_view>

namespace fodns::zonefile {

struct ZoneEntry {
  std::string_view text;  // from the start of its first line (a leading blank: no owner)
  int line = 0;           // line of its first character that is not blank or comment
};

class ZoneEntryReader {
 public:
  explicit ZoneEntryReader(std::string_view data) : data_(data) {}

  /// The next entry that is not blank or only a comment; false at the end.
  bool next(ZoneEntry& out);
  /// Bytes consumed so far (for progress).
  size_t position() const { return pos_; }
  /// Number of lines in the text.
  int total_lines() const;

 private:
  std::string_view data_;
  size_t pos_ = 0;
  int line_ = 1;  // line of data_[pos_]
};

}  // namespace fodns::zonefile
