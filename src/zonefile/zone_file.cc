// rdata_ranges.h (with <optional>) before ldns.h, whose `bool` macro breaks <optional>.
#include "dns/rdata_ranges.h"
#include "zonefile/zone_file.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <numeric>
#include <sstream>
#include <unordered_set>

#include "common/progress.h"
#include "dns/ldns_ptr.h"
#include "dns/rr_text.h"
#include "zonefile/zone_entries.h"

namespace fodns::zonefile {

namespace {

// Stands in for the origin until the file sets one: ldns would otherwise make a relative
// name silently absolute ("foo" -> "foo."). Any name that ends up below it was relative.
constexpr std::string_view kNoOrigin = "fodns-no-origin.invalid.";

dns::LdnsRdf make_dname(std::string_view text) {
  std::string s(text);
  if (!s.empty() && !ldns_dname_str_absolute(s.c_str())) s += '.';
  ldns_rdf* raw = nullptr;
  if (ldns_str2rdf_dname(&raw, s.c_str()) != LDNS_STATUS_OK) return nullptr;
  return dns::LdnsRdf(raw);
}

std::string rdf_text(const ldns_rdf* rdf) {
  char* s = ldns_rdf2str(rdf);
  std::string out = s ? s : "";
  free(s);
  return out;
}

bool below_sentinel(const ldns_rdf* name, const ldns_rdf* sentinel) {
  return ldns_dname_compare(name, sentinel) == 0 || ldns_dname_is_subdomain(name, sentinel);
}

// Presentation text of a name that was made absolute with kNoOrigin, without it.
std::string relative_text(const ldns_rdf* name) {
  std::string out = rdf_text(name);
  if (out.size() > kNoOrigin.size() && out.ends_with(kNoOrigin)) {
    out.resize(out.size() - kNoOrigin.size() - 1);
  } else if (out.ends_with(kNoOrigin)) {
    out = "@";
  }
  return out;
}

// Names the first relative name in `rr` (owner or rdata), or returns empty.
std::string find_relative(const ldns_rr* rr, const ldns_rdf* sentinel) {
  if (below_sentinel(ldns_rr_owner(rr), sentinel)) return relative_text(ldns_rr_owner(rr));
  for (size_t i = 0; i < ldns_rr_rd_count(rr); ++i) {
    const ldns_rdf* f = ldns_rr_rdf(rr, i);
    if (f && ldns_rdf_get_type(f) == LDNS_RDF_TYPE_DNAME && below_sentinel(f, sentinel)) {
      return relative_text(f);
    }
  }
  return {};
}

// ldns reads $TTL with ldns_str2period, which wraps, takes "-5" as 5 and skips blanks.
std::optional<std::string> check_ttl_directive(std::string_view entry) {
  auto t = dns::split_rr_tokens(entry);
  if (t.tokens.size() != 2) return std::string("$TTL takes exactly one value");
  if (auto bad = dns::check_ttl_text(t.tokens[1])) return "$TTL: " + *bad;
  return std::nullopt;
}

bool starts_directive(std::string_view text, std::string_view name) {
  return text.size() > name.size() && text.starts_with(name) &&
         (text[name.size()] == ' ' || text[name.size()] == '\t' || text[name.size()] == '(');
}

// The text after a directive's name, without the blanks around it (ldns_strip_ws).
std::string directive_value(std::string_view ready, size_t name_len) {
  std::string_view v = ready.substr(name_len);
  size_t b = v.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  size_t e = v.find_last_not_of(" \t");
  return std::string(v.substr(b, e - b + 1));
}

bool same_rr_data(const dns::Rr& a, const dns::Rr& b) {
  return a.type == b.type && a.owner == b.owner && a.rdata == b.rdata;
}

struct RrKeyHash {
  const std::vector<dns::Rr>* rrs;
  size_t operator()(uint32_t i) const {
    const auto& r = (*rrs)[i];
    std::string_view o(reinterpret_cast<const char*>(r.owner.data()), r.owner.size());
    std::string_view d(reinterpret_cast<const char*>(r.rdata.data()), r.rdata.size());
    size_t h = std::hash<std::string_view>{}(o);
    h ^= std::hash<std::string_view>{}(d) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    return h ^ (size_t{r.type} * 0x100000001b3ULL);
  }
};

// Drops records equal in owner, type and rdata to an earlier one, keeping the first.
// A hash set rather than a sort: on 1,000,000 records sorting spent seconds in memcmp.
size_t drop_duplicates(ParsedZone& pz) {
  auto& rrs = pz.content.rrs;
  auto eq = [&](uint32_t a, uint32_t b) { return same_rr_data(rrs[a], rrs[b]); };
  std::unordered_set<uint32_t, RrKeyHash, decltype(eq)> seen(rrs.size() * 2 + 1,
                                                             RrKeyHash{&rrs}, eq);
  std::vector<bool> drop(rrs.size(), false);
  size_t dropped = 0;
  for (uint32_t i = 0; i < rrs.size(); ++i) {
    if (!seen.insert(i).second) {
      drop[i] = true;
      ++dropped;
    }
  }
  if (dropped == 0) return 0;
  size_t w = 0;
  for (size_t r = 0; r < rrs.size(); ++r) {
    if (drop[r]) continue;
    if (w != r) {
      rrs[w] = std::move(rrs[r]);
      pz.lines[w] = pz.lines[r];
    }
    ++w;
  }
  rrs.resize(w);
  pz.lines.resize(w);
  return dropped;
}

Result<ParsedZone> parse_buffer(const char* data, size_t size, std::string_view file,
                                std::string_view origin_opt) {
  ParsedZone pz;
  auto fail = [&](int line, const std::string& reason) -> Error {
    return make_error("{}:{}: {}", file, line, reason);
  };
  dns::LdnsRdf sentinel = make_dname(kNoOrigin);
  bool origin_given = !origin_opt.empty();
  dns::LdnsRdf initial = origin_given ? make_dname(origin_opt) : make_dname(kNoOrigin);
  if (!initial) return make_error("{}: origin '{}' is not a valid domain name", file, origin_opt);
  // ldns replaces (and frees) *origin on $ORIGIN and *prev on each record; we own the last ones.
  ldns_rdf* origin = initial.release();
  ldns_rdf* prev = nullptr;
  struct Guard {
    ldns_rdf** a;
    ldns_rdf** b;
    ~Guard() {
      if (*a) ldns_rdf_deep_free(*a);
      if (*b) ldns_rdf_deep_free(*b);
    }
  } guard{&origin, &prev};

  bool have_origin = origin_given;  // false while `origin` is the sentinel
  if (origin_given) pz.origin_text = rdf_text(origin);
  ZoneEntryReader reader(std::string_view(data, size));
  uint32_t default_ttl = 3600;
  progress::phase("parsing", size, "bytes");
  ZoneEntry entry;
  while (reader.next(entry)) {
    progress::set(reader.position());
    int line = entry.line;
    auto ready = dns::ldns_ready_text(entry.text);
    if (!ready) return fail(line, ready.error().message);
    if (starts_directive(*ready, "$ORIGIN")) {
      ldns_rdf* next = ldns_rdf_new_frm_str(LDNS_RDF_TYPE_DNAME, directive_value(*ready, 7).c_str());
      if (!next) return fail(line, ldns_get_errorstr_by_id(LDNS_STATUS_SYNTAX_DNAME_ERR));
      ldns_rdf_deep_free(origin);
      origin = next;
      if (below_sentinel(origin, sentinel.get())) {
        return fail(line, "relative $ORIGIN but no origin is known yet");
      }
      have_origin = true;
      continue;
    }
    if (starts_directive(*ready, "$TTL")) {
      if (auto bad = check_ttl_directive(*ready)) return fail(line, *bad);
      default_ttl = static_cast<uint32_t>(dns::period_seconds(directive_value(*ready, 4)).value_or(0));
      continue;
    }
    if (ready->starts_with("$INCLUDE")) {
      return fail(line, "$INCLUDE is not supported: a zone is imported from one file");
    }
    if (auto bad = dns::check_rr_text(*ready); !bad.empty()) return fail(line, bad);
    ldns_rr* raw = nullptr;
    ldns_status st = ldns_rr_new_frm_str(&raw, ready->c_str(), default_ttl, origin, &prev);
    dns::LdnsRr rr(raw);
    if (st != LDNS_STATUS_OK) return fail(line, ldns_get_errorstr_by_id(st));
    if (!rr) continue;
    if (default_ttl == 0) {
      // ldns gives a record without TTL 3600 when the default is 0 ("$TTL 0").
      auto t = dns::split_rr_tokens(*ready);
      auto layout = dns::rr_layout(t.tokens, t.has_owner);
      if (layout && !layout->ttl) ldns_rr_set_ttl(rr.get(), 0);
    }
    if (ldns_rr_get_class(rr.get()) != LDNS_RR_CLASS_IN) {
      char* c = ldns_rr_class2str(ldns_rr_get_class(rr.get()));
      std::string cls = c ? c : "?";
      free(c);
      return fail(line, fmt::format("class {} is not served (only IN)", cls));
    }
    if (!have_origin) {
      std::string rel = find_relative(rr.get(), sentinel.get());
      if (!rel.empty()) {
        return fail(line, fmt::format("relative name '{}' but no $ORIGIN (use --origin)", rel));
      }
    } else if (pz.origin_text.empty()) {
      pz.origin_text = rdf_text(origin);  // the $ORIGIN in effect at the first record
    }
    auto conv = dns::rr_from_ldns(rr.get());
    if (!conv) return fail(line, conv.error().message);
    pz.content.rrs.push_back(std::move(conv.value()));
    pz.lines.push_back(line);
  }
  pz.last_line = reader.total_lines();

  if (pz.origin_text.empty()) {
    // No origin given anywhere: the apex is where the SOA is.
    for (size_t i = 0; i < pz.content.rrs.size(); ++i) {
      if (pz.content.rrs[i].type == LDNS_RR_TYPE_SOA) {
        pz.origin_text = dns::name_to_text(pz.content.rrs[i].owner);
        break;
      }
    }
    if (pz.origin_text.empty()) {
      return fail(pz.last_line, "no origin: no $ORIGIN, no --origin and no SOA record");
    }
  }
  auto o = dns::name_from_text(pz.origin_text);
  if (!o) return fail(1, o.error().message);
  pz.content.origin = std::move(o.value());
  pz.origin_text = dns::name_to_text(pz.content.origin);
  for (const auto& rr : pz.content.rrs) {
    if (rr.type == LDNS_RR_TYPE_SOA && rr.owner == pz.content.origin) {
      dns::soa_fields(rr.rdata, &pz.content.serial, nullptr);
      break;
    }
  }
  pz.duplicates = drop_duplicates(pz);
  return pz;
}

}  // namespace

Result<ParsedZone> parse_zone_file(const std::string& path, std::string_view origin,
                                   uint64_t max_bytes) {
  auto data = read_zone_source(path, max_bytes);
  if (!data) return data.error();
  return parse_buffer(data->data(), data->size(), path, origin);
}

Result<ParsedZone> parse_zone_text(std::string_view text, std::string_view display_name,
                                   std::string_view origin) {
  return parse_buffer(text.data(), text.size(), display_name, origin);
}

Result<dns::Rr> parse_absolute_rr(std::string_view line) {
  dns::LdnsRdf sentinel = make_dname(kNoOrigin);
  auto parsed = dns::rr_from_presentation(line, sentinel.get());
  if (!parsed) return parsed.error();
  dns::LdnsRr rr = std::move(parsed.value());
  if (ldns_rr_get_class(rr.get()) != LDNS_RR_CLASS_IN) return make_error("only class IN is served");
  std::string rel = find_relative(rr.get(), sentinel.get());
  if (!rel.empty()) return make_error("name '{}' is relative: end it with a dot", rel);
  return dns::rr_from_ldns(rr.get());
}

int canonical_name_compare(const dns::Bytes& a, const dns::Bytes& b) {
  // Label start offsets, compared from the rightmost label (RFC 4034 §6.1).
  auto labels = [](const dns::Bytes& n, size_t* out) {
    size_t count = 0, pos = 0;
    while (pos < n.size() && n[pos] != 0 && count < dns::kMaxLabels) {
      out[count++] = pos;
      pos += 1 + n[pos];
    }
    return count;
  };
  size_t la[dns::kMaxLabels], lb[dns::kMaxLabels];
  size_t na = labels(a, la), nb = labels(b, lb);
  while (na > 0 && nb > 0) {
    --na;
    --nb;
    size_t lena = a[la[na]], lenb = b[lb[nb]];
    int c = std::memcmp(a.data() + la[na] + 1, b.data() + lb[nb] + 1, std::min(lena, lenb));
    if (c != 0) return c;
    if (lena != lenb) return lena < lenb ? -1 : 1;
  }
  if (na == nb) return 0;
  return na < nb ? -1 : 1;
}

std::vector<const dns::Rr*> export_order(const dns::ZoneContent& zone) {
  std::vector<const dns::Rr*> order;
  order.reserve(zone.rrs.size());
  const dns::Rr* soa = nullptr;
  for (const auto& rr : zone.rrs) {
    if (!soa && rr.type == LDNS_RR_TYPE_SOA && rr.owner == zone.origin) {
      soa = &rr;
    } else {
      order.push_back(&rr);
    }
  }
  std::sort(order.begin(), order.end(), [](const dns::Rr* a, const dns::Rr* b) {
    int c = canonical_name_compare(a->owner, b->owner);
    if (c != 0) return c < 0;
    if (a->type != b->type) return a->type < b->type;
    return a->rdata < b->rdata;
  });
  if (soa) order.insert(order.begin(), soa);
  return order;
}

void write_zone(const dns::ZoneContent& zone, std::ostream& out) {
  for (const dns::Rr* rr : export_order(zone)) {
    if (rr->type == LDNS_RR_TYPE_SOA && rr->owner == zone.origin) {
      dns::Rr served = *rr;
      dns::soa_set_serial(served.rdata, zone.serial);
      out << dns::rr_to_text(served) << '\n';
    } else {
      out << dns::rr_to_text(*rr) << '\n';
    }
  }
}

}  // namespace fodns::zonefile
