ALTER TABLE rigs DROP COLUMN clock_checked_at;
ALTER TABLE rigs DROP COLUMN clock_offset_secs;
