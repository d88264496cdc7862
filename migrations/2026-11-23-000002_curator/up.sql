-- The curator finds the episode an event was merged into (to re-curate it when its outcome changes).
CREATE INDEX episodes_by_source_event ON episodes USING GIN (source_event_ids);
-- Why an event could not be curated (bad payload), kept for the operator instead of retried forever.
ALTER TABLE events ADD COLUMN curation_error TEXT;
