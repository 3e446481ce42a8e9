-- Release catalog bookkeeping (releases::VersionRepository).

-- The catalog revision: one row, bumped by triggers in the transaction of
-- every app_versions write, so no code path can forget it. Every instance
-- polls it (a primary-key read) and rebuilds its update-check snapshot when
-- it moves.
CREATE TABLE catalog_state (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    revision INTEGER NOT NULL
) STRICT;
INSERT INTO catalog_state (id, revision) VALUES (1, 0);

CREATE TRIGGER tr_app_versions_insert_revision AFTER INSERT ON app_versions
BEGIN
    UPDATE catalog_state SET revision = revision + 1 WHERE id = 1;
END;
CREATE TRIGGER tr_app_versions_update_revision AFTER UPDATE ON app_versions
BEGIN
    UPDATE catalog_state SET revision = revision + 1 WHERE id = 1;
END;
CREATE TRIGGER tr_app_versions_delete_revision AFTER DELETE ON app_versions
BEGIN
    UPDATE catalog_state SET revision = revision + 1 WHERE id = 1;
END;

-- The admin listing order (version_code DESC, id DESC), read backwards.
CREATE INDEX ix_app_versions_listing ON app_versions (version_code, id);
