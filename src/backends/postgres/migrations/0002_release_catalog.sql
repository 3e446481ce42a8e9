-- Release catalog bookkeeping (releases::VersionRepository, PgVersionRepository).
-- app_versions and artifacts come from 0001_init.sql.

-- The catalog revision: one row, bumped by a trigger in the transaction of
-- every app_versions write, so no code path can forget it. Every replica polls
-- it (a primary-key read) and rebuilds its update-check snapshot when it moves.
-- PgVersionRepository also locks this row (SELECT ... FOR UPDATE) first in
-- each version write, which serialises version writes and so keeps their row
-- locks on artifacts in one order (no deadlocks).
CREATE TABLE catalog_state (
    id       integer PRIMARY KEY CHECK (id = 1),
    revision bigint  NOT NULL
);
INSERT INTO catalog_state (id, revision) VALUES (1, 0);

-- Resolves catalog_state through the search_path at run time, like every
-- other statement of the adapter (the schema is the URL's).
CREATE FUNCTION beacon_bump_catalog_revision() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE catalog_state SET revision = revision + 1 WHERE id = 1;
    RETURN NULL;
END
$$;

-- Statement-level: once per write statement (the adapter changes one row per
-- statement); a statement that changes nothing is rolled back by the adapter.
CREATE TRIGGER tr_app_versions_catalog_revision
    AFTER INSERT OR UPDATE OR DELETE ON app_versions
    FOR EACH STATEMENT EXECUTE FUNCTION beacon_bump_catalog_revision();

-- The admin listing order (version_code DESC, id DESC).
CREATE INDEX ix_app_versions_listing ON app_versions (version_code DESC, id DESC);
