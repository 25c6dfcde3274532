// NameKeyHash: hash maps keyed by a name's wire bytes (as std::string) that are
// looked up by std::string_view, so a lookup does not build a string. The
// compiler and the dependents analysis look up every owner several times.
// Threading: stateless.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "dns/rr.h"

namespace fodns::zone {

struct NameKeyHash {
  using is_transparent = void;
  size_t operator()(std::string_view k) const { return std::hash<std::string_view>{}(k); }
};

inline std::string_view name_key(const dns::Bytes& name) {
  return {reinterpret_cast<const char*>(name.data()), name.size()};
}

template <typename V>
using NameMap = std::unordered_map<std::string, V, NameKeyHash, std::equal_to<>>;
using NameSet = std::unordered_set<std::string, NameKeyHash, std::equal_to<>>;

}  // namespace fodns::zone
