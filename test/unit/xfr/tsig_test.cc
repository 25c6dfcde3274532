// TSIG: our signatures against ldns's, and every error the verifier reports.
#include "xfr/tsig.h"

#include <doctest/doctest.h>
#include <ldns/ldns.h>

#include <vector>

#include "dns/wire.h"

using namespace fodns;

namespace {
const char* kSecret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0IQ==";

std::vector<uint8_t> axfr_query(uint16_t id = 0x4242) {
  std::vector<uint8_t> m = {static_cast<uint8_t>(id >> 8), static_cast<uint8_t>(id), 0, 0, 0, 1, 0, 0, 0, 0, 0, 0,
                            7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'n', 'e', 't', 0, 0, 252, 0, 1};
  return m;
}

xfr::TsigKey key(const char* name = "xfr-key.", const char* alg = "hmac-sha256", const char* secret = kSecret) {
  auto k = xfr::make_key(name, alg, secret);
  REQUIRE(k);
  return *k;
}
}  // namespace

TEST_CASE("keys need a known algorithm and a base64 secret") {
  CHECK(xfr::make_key("k", "hmac-sha256", kSecret));
  CHECK_FALSE(xfr::make_key("k.", "hmac-md4", kSecret));
  CHECK_FALSE(xfr::make_key("k.", "hmac-sha256", "a*VsbG8="));
}

TEST_CASE("a request we sign verifies with ldns, and one ldns signs verifies with us") {
  for (const char* alg : {"hmac-sha256", "hmac-sha512", "hmac-sha1"}) {
    CAPTURE(alg);
    auto k = key("xfr-key.", alg);
    auto m = axfr_query();
    xfr::SignState st;
    st.request = true;
    uint64_t now = static_cast<uint64_t>(time(nullptr));
    xfr::sign(m, k, st, now);
    ldns_pkt* pkt = nullptr;
    REQUIRE(ldns_wire2pkt(&pkt, m.data(), m.size()) == LDNS_STATUS_OK);
    CHECK(ldns_pkt_tsig_verify(pkt, m.data(), m.size(), "xfr-key.", kSecret, nullptr));
    ldns_pkt_free(pkt);

    // ldns signs, we verify.
    auto q = axfr_query(7);
    REQUIRE(ldns_wire2pkt(&pkt, q.data(), q.size()) == LDNS_STATUS_OK);
    std::string alg_name = std::string(alg) + ".";
    REQUIRE(ldns_pkt_tsig_sign(pkt, "xfr-key.", kSecret, 300, alg_name.c_str(), nullptr) == LDNS_STATUS_OK);
    uint8_t* wire = nullptr;
    size_t wire_len = 0;
    REQUIRE(ldns_pkt2wire(&wire, pkt, &wire_len) == LDNS_STATUS_OK);
    std::vector<xfr::TsigKey> keys = {k};
    auto c = xfr::verify({wire, wire_len}, keys, now);
    CHECK(c.status == xfr::TsigStatus::Ok);
    CHECK(c.unsigned_len == q.size());
    free(wire);
    ldns_pkt_free(pkt);
  }
}

TEST_CASE("the verifier reports unsigned, bad key, bad signature and bad time") {
  auto k = key();
  std::vector<xfr::TsigKey> keys = {k};
  uint64_t now = 1'800'000'000;
  auto plain = axfr_query();
  CHECK(xfr::verify(plain, keys, now).status == xfr::TsigStatus::Unsigned);

  auto signed_msg = plain;
  xfr::SignState st;
  st.request = true;
  xfr::sign(signed_msg, k, st, now);
  CHECK(xfr::verify(signed_msg, keys, now).status == xfr::TsigStatus::Ok);
  CHECK(xfr::verify(signed_msg, keys, now + 299).status == xfr::TsigStatus::Ok);
  CHECK(xfr::verify(signed_msg, keys, now + 301).status == xfr::TsigStatus::BadTime);

  auto other = key("other-key.");
  std::vector<xfr::TsigKey> other_keys = {other};
  auto c = xfr::verify(signed_msg, other_keys, now);
  CHECK(c.status == xfr::TsigStatus::BadKey);
  CHECK(c.key == nullptr);

  auto wrong_secret = key("xfr-key.", "hmac-sha256", "d3Jvbmctc2VjcmV0LXdyb25nLXNlY3JldA==");
  std::vector<xfr::TsigKey> wrong = {wrong_secret};
  CHECK(xfr::verify(signed_msg, wrong, now).status == xfr::TsigStatus::BadSig);

  auto tampered = signed_msg;
  tampered[15] ^= 0x20;  // a letter of the qname
  CHECK(xfr::verify(tampered, keys, now).status == xfr::TsigStatus::BadSig);

  auto truncated = signed_msg;
  truncated.pop_back();
  CHECK(xfr::verify(truncated, keys, now).status == xfr::TsigStatus::FormErr);
}

TEST_CASE("a multi-message reply chains MACs the way ldns verifies them (RFC 8945 §5.3.1)") {
  auto k = key();
  uint64_t now = static_cast<uint64_t>(time(nullptr));
  auto q = axfr_query();
  xfr::SignState qs;
  qs.request = true;
  xfr::sign(q, k, qs, now);
  std::vector<uint8_t> request_mac = qs.prior_mac;

  xfr::SignState rs;
  rs.prior_mac = request_mac;
  auto r1 = axfr_query();
  r1[2] = 0x84;
  auto r2 = r1;
  xfr::sign(r1, k, rs, now);
  std::vector<uint8_t> mac1 = rs.prior_mac;
  xfr::sign(r2, k, rs, now);

  std::vector<uint8_t> buf(2 + request_mac.size());
  fodns::dns::put16(buf.data(), static_cast<uint16_t>(request_mac.size()));
  std::copy(request_mac.begin(), request_mac.end(), buf.begin() + 2);
  ldns_rdf* qmac = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_INT16_DATA, buf.size(), buf.data());
  ldns_pkt* p1 = nullptr;
  REQUIRE(ldns_wire2pkt(&p1, r1.data(), r1.size()) == LDNS_STATUS_OK);
  CHECK(ldns_pkt_tsig_verify(p1, r1.data(), r1.size(), "xfr-key.", kSecret, qmac));

  std::vector<uint8_t> buf2(2 + mac1.size());
  fodns::dns::put16(buf2.data(), static_cast<uint16_t>(mac1.size()));
  std::copy(mac1.begin(), mac1.end(), buf2.begin() + 2);
  ldns_rdf* m1 = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_INT16_DATA, buf2.size(), buf2.data());
  ldns_pkt* p2 = nullptr;
  REQUIRE(ldns_wire2pkt(&p2, r2.data(), r2.size()) == LDNS_STATUS_OK);
  CHECK(ldns_pkt_tsig_verify_next(p2, r2.data(), r2.size(), "xfr-key.", kSecret, m1, 1));
  ldns_rdf_free(qmac);
  ldns_rdf_free(m1);
  ldns_pkt_free(p1);
  ldns_pkt_free(p2);
}
