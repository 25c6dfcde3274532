#include "store/cookie_repo.h"

#include <algorithm>

namespace fodns::store {

std::vector<CookieSecret> list_cookie_secrets(Db& db, int limit) {
  auto st = db.prepare(
      "SELECT generation, secret, created_at FROM cookie_secrets ORDER BY generation DESC LIMIT ?");
  st.bind(1, int64_t{limit});
  std::vector<CookieSecret> out;
  while (st.step()) {
    CookieSecret s;
    s.generation = st.int64(0);
    auto blob = st.blob(1);
    if (blob.size() != s.secret.size()) throw StoreError("cookie_secrets: a secret is not 16 bytes");
    std::copy(blob.begin(), blob.end(), s.secret.begin());
    s.created_at = st.int64(2);
    out.push_back(s);
  }
  return out;
}

CookieSecret add_cookie_secret(Db& db, const std::array<uint8_t, 16>& secret, int64_t now) {
  auto ins = db.prepare("INSERT INTO cookie_secrets (secret, created_at) VALUES (?, ?)");
  ins.bind(1, std::span<const uint8_t>(secret)).bind(2, now).run();
  CookieSecret s{db.last_insert_id(), secret, now};
  // The previous one stays: cookies made with it keep verifying until they expire (1 h).
  db.prepare("DELETE FROM cookie_secrets WHERE generation NOT IN "
             "(SELECT generation FROM cookie_secrets ORDER BY generation DESC LIMIT 2)")
      .run();
  return s;
}

}  // namespace fodns::store
