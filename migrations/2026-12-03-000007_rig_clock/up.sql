-- How far each rig's clock was from the hub's at its latest request that said (X-Rig-Clock),
-- in seconds (positive: the rig is ahead), and when that was. The dashboard shows rigs whose
-- clocks are off; uploads are checked on the rig's clock corrected by it.
ALTER TABLE rigs ADD COLUMN clock_offset_secs DOUBLE PRECISION;
ALTER TABLE rigs ADD COLUMN clock_checked_at TIMESTAMPTZ;
