-- fodns schema, version 4: which zones changed since the server last looked, and
-- serials reserved ahead so that the served serial moves while SQLite cannot be written.

-- Serials up to this one may have been served without being written to zones.serial
-- (the database was locked or full). A restart after a crash begins above it.
-- NULL: nothing reserved. Only `fodns serve` writes it.
ALTER TABLE zones ADD COLUMN serial_reserved INTEGER;

-- The change index. Every edit of a zone's records, policies or identity marks the
-- zone with the current epoch, in the edit's own transaction (the triggers below), so
-- any writer (the CLI, a bulk import, plain SQL) is seen. The server lists the zones
-- marked at or after the epoch it last opened, then opens a new one; it re-reads only
-- those zones. One row per zone: the index compacts itself, and the server deletes the
-- rows of zones that no longer exist.
CREATE TABLE change_epoch (
  id    INTEGER PRIMARY KEY CHECK (id = 1),
  epoch INTEGER NOT NULL
);
INSERT INTO change_epoch (id, epoch) VALUES (1, 1);

CREATE TABLE zone_changes (
  zone_id INTEGER PRIMARY KEY,     -- no foreign key: a deleted zone's row says it went
  epoch   INTEGER NOT NULL
);
CREATE INDEX zone_changes_by_epoch ON zone_changes(epoch);

-- Marks are skipped when the zone already carries the open epoch, so a 1,000,000-record
-- import costs two index lookups per row, not two writes.
CREATE TRIGGER records_changed_ins AFTER INSERT ON records
WHEN NOT EXISTS (SELECT 1 FROM zone_changes WHERE zone_id = NEW.zone_id
                 AND epoch = (SELECT epoch FROM change_epoch WHERE id = 1))
BEGIN
  INSERT INTO zone_changes (zone_id, epoch) VALUES (NEW.zone_id, (SELECT epoch FROM change_epoch WHERE id = 1))
    ON CONFLICT (zone_id) DO UPDATE SET epoch = excluded.epoch;
END;
CREATE TRIGGER records_changed_del AFTER DELETE ON records
WHEN NOT EXISTS (SELECT 1 FROM zone_changes WHERE zone_id = OLD.zone_id
                 AND epoch = (SELECT epoch FROM change_epoch WHERE id = 1))
BEGIN
  INSERT INTO zone_changes (zone_id, epoch) VALUES (OLD.zone_id, (SELECT epoch FROM change_epoch WHERE id = 1))
    ON CONFLICT (zone_id) DO UPDATE SET epoch = excluded.epoch;
END;
CREATE TRIGGER records_changed_upd AFTER UPDATE ON records
BEGIN
  INSERT INTO zone_changes (zone_id, epoch) VALUES (OLD.zone_id, (SELECT epoch FROM change_epoch WHERE id = 1))
    ON CONFLICT (zone_id) DO UPDATE SET epoch = excluded.epoch;
  INSERT INTO zone_changes (zone_id, epoch) VALUES (NEW.zone_id, (SELECT epoch FROM change_epoch WHERE id = 1))
    ON CONFLICT (zone_id) DO UPDATE SET epoch = excluded.epoch;
END;

CREATE TRIGGER rrset_policy_changed_ins AFTER INSERT ON rrset_policy
BEGIN
  INSERT INTO zone_changes (zone_id, epoch) VALUES (NEW.zone_id, (SELECT epoch FROM change_epoch WHERE id = 1))
    ON CONFLICT (zone_id) DO UPDATE SET epoch = excluded.epoch;
END;
CREATE TRIGGER rrset_policy_changed_del AFTER DELETE ON rrset_policy
BEGIN
  INSERT INTO zone_changes (zone_id, epoch) VALUES (OLD.zone_id, (SELECT epoch FROM change_epoch WHERE id = 1))
    ON CONFLICT (zone_id) DO UPDATE SET epoch = excluded.epoch;
END;
CREATE TRIGGER rrset_policy_changed_upd AFTER UPDATE ON rrset_policy
BEGIN
  INSERT INTO zone_changes (zone_id, epoch) VALUES (NEW.zone_id, (SELECT epoch FROM change_epoch WHERE id = 1))
    ON CONFLICT (zone_id) DO UPDATE SET epoch = excluded.epoch;
END;

CREATE TRIGGER zones_changed_ins AFTER INSERT ON zones
BEGIN
  INSERT INTO zone_changes (zone_id, epoch) VALUES (NEW.id, (SELECT epoch FROM change_epoch WHERE id = 1))
    ON CONFLICT (zone_id) DO UPDATE SET epoch = excluded.epoch;
END;
CREATE TRIGGER zones_changed_del AFTER DELETE ON zones
BEGIN
  INSERT INTO zone_changes (zone_id, epoch) VALUES (OLD.id, (SELECT epoch FROM change_epoch WHERE id = 1))
    ON CONFLICT (zone_id) DO UPDATE SET epoch = excluded.epoch;
END;
-- A serial set by the CLI (`zone set`, imports) is a change; the server's own serial
-- writes always move serial_reserved too, and are not.
CREATE TRIGGER zones_changed_upd AFTER UPDATE OF name, serial ON zones
WHEN NEW.serial_reserved IS OLD.serial_reserved
BEGIN
  INSERT INTO zone_changes (zone_id, epoch) VALUES (NEW.id, (SELECT epoch FROM change_epoch WHERE id = 1))
    ON CONFLICT (zone_id) DO UPDATE SET epoch = excluded.epoch;
END;

-- Transfer settings: a zone that starts allowing transfers must be re-read, so that
-- the server knows the set it serves to secondaries.
CREATE TRIGGER zone_transfer_acl_changed_ins AFTER INSERT ON zone_transfer_acl
BEGIN
  INSERT INTO zone_changes (zone_id, epoch) VALUES (NEW.zone_id, (SELECT epoch FROM change_epoch WHERE id = 1))
    ON CONFLICT (zone_id) DO UPDATE SET epoch = excluded.epoch;
END;
CREATE TRIGGER zone_transfer_acl_changed_del AFTER DELETE ON zone_transfer_acl
BEGIN
  INSERT INTO zone_changes (zone_id, epoch) VALUES (OLD.zone_id, (SELECT epoch FROM change_epoch WHERE id = 1))
    ON CONFLICT (zone_id) DO UPDATE SET epoch = excluded.epoch;
END;
CREATE TRIGGER zone_notify_changed_ins AFTER INSERT ON zone_notify
BEGIN
  INSERT INTO zone_changes (zone_id, epoch) VALUES (NEW.zone_id, (SELECT epoch FROM change_epoch WHERE id = 1))
    ON CONFLICT (zone_id) DO UPDATE SET epoch = excluded.epoch;
END;
CREATE TRIGGER zone_notify_changed_del AFTER DELETE ON zone_notify
BEGIN
  INSERT INTO zone_changes (zone_id, epoch) VALUES (OLD.zone_id, (SELECT epoch FROM change_epoch WHERE id = 1))
    ON CONFLICT (zone_id) DO UPDATE SET epoch = excluded.epoch;
END;
