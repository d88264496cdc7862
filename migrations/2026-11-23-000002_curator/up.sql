-- The curator finds the episode an event was merged into (to re-curate it when its outcome changes).
CREATE INDEX episodes_by_source_event ON episodes USING GIN (source_event_ids);
-- Why an event could not be curated (bad payload), kept for the operator instead of retried forever.
ALTER TABLE events ADD COLUMN curation_error TEXT;
-- Archived episodes are kept as tombstones for a while, then purged; a rig whose version is older
-- than the newest purged tombstone has missed deletions and gets the whole library.
CREATE TABLE library_meta (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    tombstone_floor BIGINT NOT NULL DEFAULT 0
);
INSERT INTO library_meta (id) VALUES (1);
