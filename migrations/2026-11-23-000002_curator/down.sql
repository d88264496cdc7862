DROP TABLE library_meta;
ALTER TABLE events DROP COLUMN curation_error;
DROP INDEX episodes_by_source_event;
