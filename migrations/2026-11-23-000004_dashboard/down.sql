DROP INDEX IF EXISTS events_dashboard;
ALTER TABLE events DROP COLUMN IF EXISTS outcome_text;
