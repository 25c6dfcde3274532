// TSIG verified and signed in place (issue 13): against ldns's signatures and
// verifier, and against the general verifier and signer of tsig.h.
#include "xfr/tsig_in_place.h"

#include <doctest/doctest.h>
#include <ldns/ldns.h>

#include <ctime>
#include <vector>

#include "dns/query.h"
#include "dns/wire.h"

using namespace fodns;

namespace {
const char* kSecret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0IQ==";

xfr::TsigKey key(const char* alg) {
  auto k = xfr::make_key("Xfr-Key.", alg, kSecret);
  REQUIRE(k);
  return *k;
}

// sip.example.net. SOA, signed by ldns with `alg` at the current time.
std::vector<uint8_t> ldns_signed_query(const char* alg) {
  ldns_rdf* n = ldns_dname_new_frm_str("sip.example.net.");
  ldns_pkt* p = ldns_pkt_query_new(n, LDNS_RR_TYPE_SOA, LDNS_RR_CLASS_IN, 0);
  ldns_pkt_set_id(p, 0x1357);
  std::string alg_name = std::string(alg) + ".";
  REQUIRE(ldns_pkt_tsig_sign(p, "xfr-key.", kSecret, 300, alg_name.c_str(), nullptr) == LDNS_STATUS_OK);
  uint8_t* wire = nullptr;
  size_t len = 0;
  REQUIRE(ldns_pkt2wire(&wire, p, &len) == LDNS_STATUS_OK);
  std::vector<uint8_t> m(wire, wire + len);
  free(wire);
  ldns_pkt_free(p);
  return m;
}

uint64_t now() { return static_cast<uint64_t>(::time(nullptr)); }

}  // namespace

TEST_CASE("a query ldns signed verifies in place; the MAC is found where it lies") {
  for (const char* alg : {"hmac-sha256", "hmac-sha512", "hmac-sha1"}) {
    CAPTURE(alg);
    std::vector<xfr::TsigKey> keys = {key("hmac-sha256"), key(alg)};
    keys[0].name = *dns::name_from_text("other-key.");
    auto m = ldns_signed_query(alg);
    dns::Query q;
    REQUIRE(dns::parse_query(m.data(), m.size(), q) == dns::ParseResult::Ok);
    CHECK(q.has_tsig);
    REQUIRE(q.tsig_offset > 0);
    auto v = xfr::verify_in_place(q, keys, now());
    CHECK(v.status == xfr::TsigStatus::Ok);
    CHECK(v.key == &keys[1]);
    // The general verifier finds the same MAC, at the same place.
    auto c = xfr::verify({m.data(), m.size()}, keys, now());
    REQUIRE(c.status == xfr::TsigStatus::Ok);
    CHECK(c.unsigned_len == q.tsig_offset);
    REQUIRE(v.mac_len == c.mac.size());
    CHECK(std::equal(c.mac.begin(), c.mac.end(), v.mac));
    CHECK(v.mac >= m.data());
    CHECK(v.mac + v.mac_len <= m.data() + m.size());
  }
}

TEST_CASE("in-place verification reports bad key, bad signature, bad time and misplaced TSIG") {
  std::vector<xfr::TsigKey> keys = {key("hmac-sha256")};
  auto good = ldns_signed_query("hmac-sha256");
  dns::Query q;
  SUBCASE("unknown key or algorithm") {
    std::vector<xfr::TsigKey> other = {key("hmac-sha512")};
    REQUIRE(dns::parse_query(good.data(), good.size(), q) == dns::ParseResult::Ok);
    CHECK(xfr::verify_in_place(q, other, now()).status == xfr::TsigStatus::BadKey);
    CHECK(xfr::verify_in_place(q, {}, now()).status == xfr::TsigStatus::BadKey);
  }
  SUBCASE("a signed byte changed") {
    auto m = good;
    m[13] ^= 0x20;  // case of the qname's first letter: signed as sent
    REQUIRE(dns::parse_query(m.data(), m.size(), q) == dns::ParseResult::Ok);
    CHECK(xfr::verify_in_place(q, keys, now()).status == xfr::TsigStatus::BadSig);
  }
  SUBCASE("outside the fudge") {
    REQUIRE(dns::parse_query(good.data(), good.size(), q) == dns::ParseResult::Ok);
    CHECK(xfr::verify_in_place(q, keys, now() + 301).status == xfr::TsigStatus::BadTime);
    CHECK(xfr::verify_in_place(q, keys, now() + 299).status == xfr::TsigStatus::Ok);
  }
  SUBCASE("TSIG not the last record") {
    auto m = good;
    const uint8_t opt[] = {0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0};
    m.insert(m.end(), opt, opt + sizeof opt);
    m[11] += 1;
    REQUIRE(dns::parse_query(m.data(), m.size(), q) == dns::ParseResult::Ok);
    CHECK(q.has_tsig);
    CHECK(q.tsig_offset == 0);
    CHECK(xfr::verify_in_place(q, keys, now()).status == xfr::TsigStatus::FormErr);
    CHECK(xfr::verify({m.data(), m.size()}, keys, now()).status == xfr::TsigStatus::FormErr);
  }
}

TEST_CASE("a reply signed in place equals the general signer's and verifies with ldns") {
  for (const char* alg : {"hmac-sha256", "hmac-sha512", "hmac-sha1"}) {
    CAPTURE(alg);
    auto k = key(alg);
    std::vector<uint8_t> request_mac(k.algorithm == "hmac-sha1" ? 20 : 32, 0xab);
    uint64_t t = now();
    // A reply: header and question of an AXFR-shaped message.
    std::vector<uint8_t> reply = {0x13, 0x57, 0x84, 0, 0, 1, 0, 0, 0, 0, 0, 0,
                                  3, 's', 'i', 'p', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'n', 'e', 't', 0,
                                  0, 6, 0, 1};
    std::vector<uint8_t> general = reply;
    xfr::SignState st;
    st.prior_mac = request_mac;
    xfr::sign(general, k, st, t);

    std::vector<uint8_t> buf(reply.size() + xfr::tsig_rr_size(k), 0);
    std::copy(reply.begin(), reply.end(), buf.begin());
    size_t len = xfr::sign_in_place(buf.data(), reply.size(), k, request_mac, t);
    CHECK(len == buf.size());
    buf.resize(len);
    CHECK(buf == general);

    std::vector<uint8_t> qmac(2 + request_mac.size());
    dns::put16(qmac.data(), static_cast<uint16_t>(request_mac.size()));
    std::copy(request_mac.begin(), request_mac.end(), qmac.begin() + 2);
    ldns_rdf* rdf = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_INT16_DATA, qmac.size(), qmac.data());
    ldns_pkt* p = nullptr;
    REQUIRE(ldns_wire2pkt(&p, buf.data(), buf.size()) == LDNS_STATUS_OK);
    CHECK(ldns_pkt_tsig_verify(p, buf.data(), buf.size(), "xfr-key.", kSecret, rdf));
    ldns_rdf_free(rdf);
    ldns_pkt_free(p);
  }
}
