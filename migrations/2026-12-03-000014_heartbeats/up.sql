-- Fleet analytics (issue 18). Every heartbeat a rig sends is kept raw for
-- [analytics] raw_retention_days, rolled into hourly rows kept two years, and the latest is on
-- the rig's row, where the overview reads it without touching the raw table.
ALTER TABLE rigs ADD COLUMN heartbeat_at TIMESTAMPTZ;
ALTER TABLE rigs ADD COLUMN heartbeat JSONB;

CREATE TABLE heartbeats (
    rig_id TEXT NOT NULL REFERENCES rigs (rig_id),
    received_at TIMESTAMPTZ NOT NULL,
    sent_at TIMESTAMPTZ NOT NULL,
    interval_secs DOUBLE PRECISION NOT NULL,
    rig_state TEXT NOT NULL,
    depth_ft DOUBLE PRECISION,
    rop_ft_h DOUBLE PRECISION,
    on_bottom_secs DOUBLE PRECISION NOT NULL,
    mse_efficiency DOUBLE PRECISION,
    open_incidents INTEGER NOT NULL,
    open_critical INTEGER NOT NULL,
    unacknowledged INTEGER NOT NULL,
    alarms_last_hour INTEGER NOT NULL,
    stream_alive BOOLEAN NOT NULL,
    sensors_out INTEGER NOT NULL,
    queue_depth INTEGER NOT NULL,
    dead_letters INTEGER NOT NULL,
    clock_offset_secs DOUBLE PRECISION,
    faults INTEGER NOT NULL
);
CREATE INDEX heartbeats_by_rig ON heartbeats (rig_id, received_at DESC);
CREATE INDEX heartbeats_by_time ON heartbeats (received_at);

-- One row per rig and UTC hour: sums and on-bottom-weighted means, so a two-year chart reads
-- 17,520 rows a rig, not a million heartbeats.
CREATE TABLE heartbeat_hours (
    rig_id TEXT NOT NULL REFERENCES rigs (rig_id),
    hour TIMESTAMPTZ NOT NULL,
    beats INTEGER NOT NULL,
    depth_ft DOUBLE PRECISION,
    on_bottom_secs DOUBLE PRECISION NOT NULL,
    rop_ft_h DOUBLE PRECISION,
    mse_efficiency DOUBLE PRECISION,
    open_incidents_max INTEGER NOT NULL,
    critical_beats INTEGER NOT NULL,
    unacknowledged_max INTEGER NOT NULL,
    alarms_max INTEGER NOT NULL,
    stale_beats INTEGER NOT NULL,
    dead_letters_max INTEGER NOT NULL,
    clock_offset_secs DOUBLE PRECISION,
    PRIMARY KEY (rig_id, hour)
);
CREATE INDEX heartbeat_hours_by_time ON heartbeat_hours (hour);

-- The latest aggregation pass: each rig's health, ranks and outlier flags; each region's roll-up.
CREATE TABLE rig_health (
    rig_id TEXT PRIMARY KEY REFERENCES rigs (rig_id),
    computed_at TIMESTAMPTZ NOT NULL,
    region TEXT NOT NULL,
    health DOUBLE PRECISION NOT NULL,
    components JSONB NOT NULL,
    rank_in_region INTEGER NOT NULL,
    rank_in_fleet INTEGER NOT NULL,
    outliers JSONB NOT NULL
);

CREATE TABLE region_health (
    region TEXT PRIMARY KEY,
    computed_at TIMESTAMPTZ NOT NULL,
    rigs INTEGER NOT NULL,
    reporting INTEGER NOT NULL,
    health DOUBLE PRECISION,
    rank INTEGER NOT NULL,
    payload JSONB NOT NULL
);

-- The fleet's KPIs at every pass, for its trend; kept as long as raw heartbeats.
CREATE TABLE fleet_kpis (
    computed_at TIMESTAMPTZ PRIMARY KEY,
    payload JSONB NOT NULL
);
