#include "zone/zone_snapshot.h"

#include <cstring>

namespace fodns::zone {

uint64_t ZoneSnapshot::hash_name(const uint8_t* name, size_t len) {
  // FNV-1a over 8-byte words, then a final mix: names are short (most under
  // 32 bytes), so this beats byte-at-a-time FNV and needs no library.
  uint64_t h = 0xcbf29ce484222325ull ^ len;
  size_t i = 0;
  for (; i + 8 <= len; i += 8) {
    uint64_t w;
    std::memcpy(&w, name + i, 8);
    h = (h ^ w) * 0x100000001b3ull;
    h ^= h >> 29;
  }
  uint64_t tail = 0;
  std::memcpy(&tail, name + i, len - i);
  h = (h ^ tail) * 0x9E3779B97F4A7C15ull;
  return h ^ (h >> 32);
}

int ZoneSnapshot::find_zone(const uint8_t* qname, size_t qname_len, const uint8_t* label_off,
                            int label_count) const {
  if (zones_.empty()) return -1;
  // Longest apex first; skip suffixes with more labels than any apex has.
  int first = label_count - max_apex_labels_;
  if (first < 0) first = 0;
  for (int i = first; i <= label_count - min_apex_labels_; ++i) {
    size_t off = i < label_count ? label_off[i] : qname_len - 1;
    const uint8_t* name = qname + off;
    size_t len = qname_len - off;
    uint64_t h = hash_name(name, len);
    for (uint32_t s = static_cast<uint32_t>(h) & apex_mask_;; s = (s + 1) & apex_mask_) {
      uint32_t v = apex_slots_[s];
      if (v == 0) break;
      const ZoneEntry& z = zones_[v - 1];
      if (z.apex.size() == len && std::memcmp(z.apex.data(), name, len) == 0)
        return static_cast<int>(v - 1);
    }
  }
  return -1;
}

uint32_t ZoneSnapshot::find_node(int zi, const uint8_t* name, size_t len) const {
  const ZoneEntry& z = zones_[static_cast<size_t>(zi)];
  uint64_t h = hash_name(name, len);
  const uint32_t* slots = slots_.data() + z.table_off;
  for (uint32_t s = static_cast<uint32_t>(h) & z.table_mask;; s = (s + 1) & z.table_mask) {
    uint32_t v = slots[s];
    if (v == 0) return kNoAnswer;
    const Node& n = nodes_[v - 1];
    if (n.name_len == len && std::memcmp(names_.data() + n.name_off, name, len) == 0) return v - 1;
  }
}

uint32_t ZoneSnapshot::answer_for(uint32_t n, uint16_t qtype) const {
  const Node& node = nodes_[n];
  const TypeAnswer* t = types_.data() + node.types_off;
  for (uint16_t i = 0; i < node.types_count; ++i) {
    if (t[i].qtype == qtype) return t[i].answer;
    if (t[i].qtype > qtype) break;
  }
  return node.default_answer;
}

uint64_t ZoneSnapshot::record_count() const {
  uint64_t n = 0;
  for (const auto& z : zones_) n += z.record_count;
  return n;
}

size_t ZoneSnapshot::memory_bytes() const {
  size_t n = 0;
  for (const auto& z : zones_) n += sizeof(z) + z.apex.capacity() + z.apex_text.capacity();
  return n + apex_slots_.capacity() * 4 + nodes_.capacity() * sizeof(Node) + slots_.capacity() * 4 +
         names_.capacity() + types_.capacity() * sizeof(TypeAnswer) +
         answers_.capacity() * sizeof(CompiledAnswer) + bytes_.capacity() +
         fixups_.capacity() * 2 + addl_cuts_.capacity() * sizeof(AddlCut);
}

}  // namespace fodns::zone
