-- fodns schema, version 1: zones and their records.
-- Names are stored in presentation form, absolute, lowercased (the DNS
-- compares names case-insensitively; rdata keeps the case it was given).

CREATE TABLE zones (
  id         INTEGER PRIMARY KEY,
  name       TEXT    NOT NULL UNIQUE,   -- e.g. 'example.net.'
  serial     INTEGER NOT NULL,          -- served SOA serial; overrides the serial in the SOA rdata
  created_at INTEGER NOT NULL,          -- unix seconds
  updated_at INTEGER NOT NULL
);

CREATE TABLE records (
  id      INTEGER PRIMARY KEY,
  zone_id INTEGER NOT NULL REFERENCES zones(id) ON DELETE CASCADE,
  owner   TEXT    NOT NULL,             -- absolute, lowercase, e.g. 'sip.example.net.'
  type    INTEGER NOT NULL,             -- RR type code
  ttl     INTEGER NOT NULL,
  rdata   BLOB    NOT NULL              -- uncompressed wire-format rdata
);
CREATE INDEX records_by_owner ON records(zone_id, owner, type);

CREATE TABLE settings (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
