#include "zonefile/zone_validator.h"

#include <algorithm>
#include <string_view>
#include <unordered_map>

#include <fmt/format.h>
#include <ldns/ldns.h>

#include "zonefile/cname_loops.h"

namespace fodns::zonefile {

namespace {

// Types that may share an owner with a CNAME (RFC 4035 §2.5, RFC 2181 §10.1).
bool may_accompany_cname(uint16_t type) {
  return type == LDNS_RR_TYPE_RRSIG || type == LDNS_RR_TYPE_NSEC || type == LDNS_RR_TYPE_CNAME;
}

std::string owner_text(const dns::Rr& rr) { return dns::name_to_text(rr.owner); }

dns::Bytes canonical_rdata(const dns::Rr& rr) {
  auto l = dns::rr_to_ldns(rr);
  if (!l) return rr.rdata;
  ldns_rr2canonical(l->get());
  auto back = dns::rr_from_ldns(l->get());
  return back ? back->rdata : rr.rdata;
}

}  // namespace

bool same_record(const dns::Rr& a, const dns::Rr& b) {
  if (a.type != b.type || a.owner != b.owner) return false;
  if (a.rdata == b.rdata) return true;
  return canonical_rdata(a) == canonical_rdata(b);
}

std::optional<ZoneError> validate_zone(const dns::ZoneContent& zone) {
  const auto& rrs = zone.rrs;
  std::string apex = dns::name_to_text(zone.origin);
  // CNAME rules need all records of an owner together: a hash map from owner to the first
  // CNAME and first other record seen is cheaper than sorting 1,000,000 names.
  struct OwnerState {
    size_t cname = ZoneError::kWholeZone;
    size_t other = ZoneError::kWholeZone;
  };
  std::unordered_map<std::string_view, OwnerState> owners;
  owners.reserve(rrs.size());
  size_t soa_index = ZoneError::kWholeZone;
  bool apex_ns = false;
  // One pass in file order, so that the error reported is the first one in the file.
  for (size_t i = 0; i < rrs.size(); ++i) {
    const auto& rr = rrs[i];
    if (!dns::name_is_at_or_below(rr.owner, zone.origin)) {
      return ZoneError{i, fmt::format("{} is outside the zone {}", owner_text(rr), apex)};
    }
    if (rr.type == LDNS_RR_TYPE_SOA) {
      if (rr.owner != zone.origin) {
        return ZoneError{i, fmt::format("SOA at {} is not at the apex {}", owner_text(rr), apex)};
      }
      if (soa_index != ZoneError::kWholeZone) {
        return ZoneError{i, fmt::format("second SOA record at {}", apex)};
      }
      if (!dns::soa_fields(rr.rdata, nullptr, nullptr)) {
        return ZoneError{i, "malformed SOA rdata"};
      }
      soa_index = i;
    }
    if (rr.type == LDNS_RR_TYPE_NS && rr.owner == zone.origin) apex_ns = true;

    std::string_view key(reinterpret_cast<const char*>(rr.owner.data()), rr.owner.size());
    auto& st = owners[key];
    if (rr.type == LDNS_RR_TYPE_CNAME) {
      if (st.cname != ZoneError::kWholeZone) {
        return ZoneError{i, fmt::format("second CNAME at {}", owner_text(rr))};
      }
      st.cname = i;
    } else if (!may_accompany_cname(rr.type) && st.other == ZoneError::kWholeZone) {
      st.other = i;
    }
    if (st.cname != ZoneError::kWholeZone && st.other != ZoneError::kWholeZone) {
      return ZoneError{i, fmt::format("CNAME and other data at {}", owner_text(rr))};
    }
  }
  if (soa_index == ZoneError::kWholeZone) {
    return ZoneError{ZoneError::kWholeZone, fmt::format("no SOA record at the apex {}", apex)};
  }
  if (!apex_ns) {
    return ZoneError{soa_index, fmt::format("no NS records at the apex {}", apex)};
  }
  if (auto loop = find_cname_loop(zone)) return ZoneError{loop->rr_index, loop->reason};
  return std::nullopt;
}

std::optional<std::string> check_add(const dns::Bytes& origin, const std::vector<dns::Rr>& at_owner,
                                     const dns::Rr& rr) {
  std::string owner = dns::name_to_text(rr.owner);
  if (!dns::name_is_at_or_below(rr.owner, origin)) {
    return fmt::format("{} is outside the zone {}", owner, dns::name_to_text(origin));
  }
  if (rr.type == LDNS_RR_TYPE_SOA) {
    if (rr.owner != origin) return fmt::format("SOA at {} is not at the apex", owner);
    if (!dns::soa_fields(rr.rdata, nullptr, nullptr)) return std::string("malformed SOA rdata");
  }
  for (const auto& have : at_owner) {
    if (same_record(have, rr)) return fmt::format("{} {} already exists", owner,
                                                  dns::type_to_text(rr.type));
    if (rr.type == LDNS_RR_TYPE_CNAME && have.type == LDNS_RR_TYPE_CNAME) {
      return fmt::format("{} already has a CNAME", owner);
    }
    if (rr.type == LDNS_RR_TYPE_CNAME && !may_accompany_cname(have.type)) {
      return fmt::format("CNAME and other data at {} (it has {})", owner,
                         dns::type_to_text(have.type));
    }
    if (have.type == LDNS_RR_TYPE_CNAME && !may_accompany_cname(rr.type)) {
      return fmt::format("CNAME and other data at {} (it has a CNAME)", owner);
    }
  }
  return std::nullopt;
}

std::optional<std::string> check_remove(const dns::Bytes& origin,
                                        const std::vector<dns::Rr>& at_owner,
                                        const std::vector<dns::Rr>& removed) {
  size_t ns_left = 0;
  for (const auto& have : at_owner) {
    bool going = std::any_of(removed.begin(), removed.end(),
                             [&](const dns::Rr& r) { return r == have; });
    if (have.owner == origin && have.type == LDNS_RR_TYPE_SOA && going) {
      return std::string("the apex SOA cannot be removed (remove the zone, or add a new SOA)");
    }
    if (have.owner == origin && have.type == LDNS_RR_TYPE_NS && !going) ++ns_left;
  }
  bool removes_apex_ns = std::any_of(removed.begin(), removed.end(), [&](const dns::Rr& r) {
    return r.owner == origin && r.type == LDNS_RR_TYPE_NS;
  });
  if (removes_apex_ns && ns_left == 0) {
    return std::string("the last NS record at the apex cannot be removed");
  }
  return std::nullopt;
}

}  // namespace fodns::zonefile
