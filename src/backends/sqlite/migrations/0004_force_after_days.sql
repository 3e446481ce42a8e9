-- Staleness (API.md 1.1 "Staleness and signed answers"): a version may force
-- the update once it has been out this many days. Existing versions keep
-- their data and get NULL (never forced by age).
ALTER TABLE app_versions ADD COLUMN force_after_days INTEGER
    CHECK (force_after_days IS NULL OR force_after_days BETWEEN 1 AND 3650);
