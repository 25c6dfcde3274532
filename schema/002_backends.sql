-- fodns schema, version 2: backends, their probes and health, governed records.

CREATE TABLE backends (
  id           INTEGER PRIMARY KEY,
  name         TEXT    NOT NULL UNIQUE,
  address      TEXT    NOT NULL,               -- IPv4 or IPv6 literal
  port         INTEGER NOT NULL DEFAULT 5060,
  probe        TEXT    NOT NULL CHECK (probe IN ('sip-options', 'icmp', 'tcp')),
  transport    TEXT    NOT NULL DEFAULT 'udp' CHECK (transport IN ('udp', 'tcp')),
  interval_ms  INTEGER NOT NULL DEFAULT 1000,
  timeout_ms   INTEGER NOT NULL DEFAULT 800,
  rise         INTEGER NOT NULL DEFAULT 2,
  fall         INTEGER NOT NULL DEFAULT 3,
  alive_codes  TEXT    NOT NULL DEFAULT '200-407,409-499',  -- SIP final codes that mean alive
  sip_uri      TEXT,                            -- Request-URI; NULL: sip:ADDRESS:PORT
  drained      INTEGER NOT NULL DEFAULT 0,      -- maintenance: down whatever the probes say
  drain_reason TEXT,
  created_at   INTEGER NOT NULL,
  updated_at   INTEGER NOT NULL
);

-- The last known health of each backend, written by `fodns serve`; a restart resumes from it.
CREATE TABLE backend_state (
  backend_id  INTEGER PRIMARY KEY REFERENCES backends(id) ON DELETE CASCADE,
  state       TEXT    NOT NULL CHECK (state IN ('unknown', 'up', 'down')),
  since       INTEGER NOT NULL,                 -- unix milliseconds of the last transition
  last_check  INTEGER,                          -- unix milliseconds
  last_rtt_us INTEGER,
  last_result TEXT,                             -- ok, timeout, refused, unreachable, bad_status, garbage
  last_error  TEXT,                             -- human-readable: "SIP 503 Service Unavailable"
  successes   INTEGER NOT NULL DEFAULT 0,       -- consecutive
  failures    INTEGER NOT NULL DEFAULT 0        -- consecutive
);

-- History of state changes (and drains), newest last.
CREATE TABLE events (
  id         INTEGER PRIMARY KEY,
  at         INTEGER NOT NULL,                  -- unix milliseconds
  backend_id INTEGER REFERENCES backends(id) ON DELETE SET NULL,
  backend    TEXT    NOT NULL,                  -- name at the time, kept if the backend is removed
  from_state TEXT    NOT NULL,
  to_state   TEXT    NOT NULL,
  reason     TEXT    NOT NULL
);
CREATE INDEX events_by_time ON events(at);

-- A record governed by a backend is served only while that backend is up.
ALTER TABLE records ADD COLUMN backend_id INTEGER REFERENCES backends(id);
ALTER TABLE records ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;  -- lower is preferred
CREATE INDEX records_by_backend ON records(backend_id) WHERE backend_id IS NOT NULL;

-- Per-RRset failover policy.
CREATE TABLE rrset_policy (
  zone_id  INTEGER NOT NULL REFERENCES zones(id) ON DELETE CASCADE,
  owner    TEXT    NOT NULL,
  type     INTEGER NOT NULL,
  all_down TEXT    NOT NULL DEFAULT 'open' CHECK (all_down IN ('open', 'closed')),
  ttl      INTEGER,                             -- NULL: the default governed TTL (20 s)
  PRIMARY KEY (zone_id, owner, type)
);
