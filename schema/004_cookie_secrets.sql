-- fodns schema, version 4: the secrets of DNS server cookies (RFC 7873, RFC 9018).
-- Kept in the database so that every fodns serving the same database (or a copy
-- given the same secret with `fodns cookie set`) makes and accepts the same cookies.
-- The newest row is the current secret; the one before it is still accepted, so
-- that a rotation does not invalidate the cookies clients hold. `fodns cookie
-- rotate` adds a row and deletes all but the newest two.
CREATE TABLE cookie_secrets (
  generation INTEGER PRIMARY KEY AUTOINCREMENT,
  secret     BLOB    NOT NULL CHECK (typeof(secret) = 'blob' AND length(secret) = 16),
  created_at INTEGER NOT NULL                 -- Unix seconds
);

-- A database gets its own random secret at creation (SQLite's randomblob is a CSPRNG).
INSERT INTO cookie_secrets (secret, created_at) VALUES (randomblob(16), CAST(strftime('%s', 'now') AS INTEGER));
