-- fodns schema, version 3: zone transfers to secondaries (AXFR/IXFR, NOTIFY, TSIG, ACLs)
-- and the journal of served changes that IXFR answers from.

-- TSIG keys (RFC 8945). The secret is base64 as in BIND/Knot/NSD configs; it is
-- never printed by the CLI after `tsig add --generate`.
CREATE TABLE tsig_keys (
  id         INTEGER PRIMARY KEY,
  name       TEXT    NOT NULL UNIQUE,         -- absolute, lowercase: 'xfr-key.'
  algorithm  TEXT    NOT NULL CHECK (algorithm IN
               ('hmac-sha256', 'hmac-sha512', 'hmac-sha384', 'hmac-sha224', 'hmac-sha1')),
  secret     TEXT    NOT NULL,                -- base64
  created_at INTEGER NOT NULL
);

-- Secondaries told of every serial change of a zone.
CREATE TABLE zone_notify (
  zone_id INTEGER NOT NULL REFERENCES zones(id) ON DELETE CASCADE,
  address TEXT    NOT NULL,                   -- IPv4 or IPv6 literal
  port    INTEGER NOT NULL DEFAULT 53,
  PRIMARY KEY (zone_id, address, port)
);

-- Who may transfer a zone: denied unless a row matches. A row with a prefix
-- and a key needs both; with one of them, that one.
CREATE TABLE zone_transfer_acl (
  id      INTEGER PRIMARY KEY,
  zone_id INTEGER NOT NULL REFERENCES zones(id) ON DELETE CASCADE,
  prefix  TEXT,                               -- '192.0.2.0/24', '::1/128'; NULL: any address
  key_id  INTEGER REFERENCES tsig_keys(id),   -- NULL: no TSIG required
  CHECK (prefix IS NOT NULL OR key_id IS NOT NULL)
);
CREATE INDEX zone_transfer_acl_by_zone ON zone_transfer_acl(zone_id);

-- Journal bounds per zone: entries kept, and their age in seconds.
ALTER TABLE zones ADD COLUMN journal_max INTEGER NOT NULL DEFAULT 100;
ALTER TABLE zones ADD COLUMN journal_max_age INTEGER NOT NULL DEFAULT 604800;

-- Served changes, written by `fodns serve`: what IXFR (RFC 1995) sends a
-- secondary at serial_from to bring it to serial_to. RRs are uncompressed wire,
-- concatenated (owner, type, class, ttl, rdlength, rdata); `removed` starts with
-- the old SOA and `added` with the new one, as IXFR sends them.
CREATE TABLE journal (
  zone_id     INTEGER NOT NULL REFERENCES zones(id) ON DELETE CASCADE,
  serial_from INTEGER NOT NULL,
  serial_to   INTEGER NOT NULL,
  created_at  INTEGER NOT NULL,               -- unix seconds
  removed     BLOB    NOT NULL,
  added       BLOB    NOT NULL,
  PRIMARY KEY (zone_id, serial_to)
);
