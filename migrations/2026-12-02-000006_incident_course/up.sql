-- One event per incident (DESIGN §10): the rig sends the incident's course with its outcome as it
-- grows and ends. NULL for events from rigs that send no course.
ALTER TABLE events
    ADD COLUMN peak_level text,
    ADD COLUMN duration_secs double precision,
    ADD COLUMN cleared_at timestamptz;
