-- Drilling insights across the fleet (issue 20): each rig's latest insights per formation
-- segment — its depth range, markers, fastest band and founder point. A new report replaces the
-- rig's segments it overlaps, so a depth interval counts once per rig; the offsets the rigs of a
-- field are told are read from here.
CREATE TABLE insight_segments (
    id BIGSERIAL PRIMARY KEY,
    rig_id TEXT NOT NULL REFERENCES rigs (rig_id),
    field TEXT NOT NULL,
    well_id TEXT NOT NULL,
    report_seq BIGINT NOT NULL,
    made_at TIMESTAMPTZ NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    from_ft DOUBLE PRECISION NOT NULL,
    to_ft DOUBLE PRECISION NOT NULL,
    samples INTEGER NOT NULL,
    dc_exponent DOUBLE PRECISION,
    mse_median_psi DOUBLE PRECISION,
    wob_lo DOUBLE PRECISION,
    wob_hi DOUBLE PRECISION,
    rpm_lo DOUBLE PRECISION,
    rpm_hi DOUBLE PRECISION,
    rop_median_ft_h DOUBLE PRECISION,
    best_samples INTEGER,
    founder_wob_klb DOUBLE PRECISION
);
CREATE INDEX insight_segments_by_field ON insight_segments (field, from_ft);
CREATE INDEX insight_segments_by_rig ON insight_segments (rig_id, report_seq);
