ALTER TABLE events DROP COLUMN peak_level, DROP COLUMN duration_secs, DROP COLUMN cleared_at;
