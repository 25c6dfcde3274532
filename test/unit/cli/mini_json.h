// A small strict JSON reader for tests: the CLI's --json output is parsed back, so a
// stray comma or an unescaped quote fails the test instead of passing a substring check.
// Throws std::runtime_error on anything that is not one complete JSON value.
#pragma once

#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fodns::test {

struct Json {
  enum class Kind { Null, Bool, Number, String, Array, Object } kind = Kind::Null;
  bool boolean = false;
  double number = 0;
  std::string string;
  std::vector<Json> array;
  std::vector<std::pair<std::string, Json>> object;

  bool is_null() const { return kind == Kind::Null; }
  bool has(std::string_view key) const {
    for (const auto& [k, v] : object) {
      if (k == key) return true;
    }
    return false;
  }
  const Json& operator[](std::string_view key) const {
    for (const auto& [k, v] : object) {
      if (k == key) return v;
    }
    throw std::runtime_error("json: no key " + std::string(key));
  }
  const Json& operator[](size_t i) const { return array.at(i); }
};

class JsonReader {
 public:
  static Json parse(std::string_view text) {
    JsonReader r(text);
    Json v = r.value();
    r.ws();
    if (r.pos_ != text.size()) r.fail("trailing data");
    return v;
  }

 private:
  explicit JsonReader(std::string_view t) : t_(t) {}
  [[noreturn]] void fail(const char* what) {
    throw std::runtime_error(std::string("json: ") + what + " at " + std::to_string(pos_));
  }
  void ws() {
    while (pos_ < t_.size() && (t_[pos_] == ' ' || t_[pos_] == '\n' || t_[pos_] == '\t' || t_[pos_] == '\r')) ++pos_;
  }
  char peek() {
    ws();
    if (pos_ >= t_.size()) fail("unexpected end");
    return t_[pos_];
  }
  void expect(char c) {
    if (peek() != c) fail("unexpected character");
    ++pos_;
  }
  bool word(std::string_view w) {
    if (t_.substr(pos_, w.size()) != w) return false;
    pos_ += w.size();
    return true;
  }
  std::string str() {
    expect('"');
    std::string out;
    while (true) {
      if (pos_ >= t_.size()) fail("unterminated string");
      char c = t_[pos_++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) fail("control character in string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= t_.size()) fail("bad escape");
      char e = t_[pos_++];
      switch (e) {
        case '"': case '\\': case '/': out += e; break;
        case 'n': out += '\n'; break;
        case 't': out += '\t'; break;
        case 'r': out += '\r'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'u': {
          if (pos_ + 4 > t_.size()) fail("bad \\u");
          unsigned v = static_cast<unsigned>(std::stoul(std::string(t_.substr(pos_, 4)), nullptr, 16));
          pos_ += 4;
          if (v < 0x80) out += static_cast<char>(v);
          else out += '?';  // enough for tests
          break;
        }
        default: fail("bad escape");
      }
    }
  }
  Json value() {
    Json v;
    char c = peek();
    if (c == '{') {
      v.kind = Json::Kind::Object;
      ++pos_;
      if (peek() == '}') { ++pos_; return v; }
      while (true) {
        std::string k = str();
        expect(':');
        v.object.emplace_back(std::move(k), value());
        if (peek() == ',') { ++pos_; continue; }
        expect('}');
        return v;
      }
    }
    if (c == '[') {
      v.kind = Json::Kind::Array;
      ++pos_;
      if (peek() == ']') { ++pos_; return v; }
      while (true) {
        v.array.push_back(value());
        if (peek() == ',') { ++pos_; continue; }
        expect(']');
        return v;
      }
    }
    if (c == '"') {
      v.kind = Json::Kind::String;
      v.string = str();
      return v;
    }
    if (word("null")) return v;
    if (word("true") || word("false")) {
      v.kind = Json::Kind::Bool;
      v.boolean = t_[pos_ - 1] == 'e' && t_.substr(pos_ - 4, 4) == "true";
      return v;
    }
    size_t start = pos_;
    if (pos_ < t_.size() && t_[pos_] == '-') ++pos_;
    while (pos_ < t_.size() && ((t_[pos_] >= '0' && t_[pos_] <= '9') || t_[pos_] == '.' ||
                                t_[pos_] == 'e' || t_[pos_] == 'E' || t_[pos_] == '+' || t_[pos_] == '-')) ++pos_;
    if (start == pos_) fail("unexpected character");
    v.kind = Json::Kind::Number;
    v.number = std::strtod(std::string(t_.substr(start, pos_ - start)).c_str(), nullptr);
    return v;
  }

  std::string_view t_;
  size_t pos_ = 0;
};

}  // namespace fodns::test
