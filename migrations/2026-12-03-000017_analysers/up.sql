-- Analysis slots (issue 18): each analyser of the aggregation pass has a row saying whether it
-- runs, the least confidence of a finding kept, and the least time between its runs; switched at
-- run time through the API (operators), shared by every hub process.
CREATE TABLE analysers (
    id TEXT PRIMARY KEY,
    active BOOLEAN NOT NULL,
    min_confidence DOUBLE PRECISION NOT NULL,
    min_interval_secs INTEGER NOT NULL,
    last_run_at TIMESTAMPTZ,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_by TEXT NOT NULL DEFAULT 'migration'
);
INSERT INTO analysers (id, active, min_confidence, min_interval_secs) VALUES
    ('outliers', true, 0.0, 0),
    ('correlator', true, 0.0, 0),
    ('rig_anomaly', true, 0.5, 300);

-- What each analyser found at its latest run, with its id and version.
CREATE TABLE analysis_findings (
    id BIGSERIAL PRIMARY KEY,
    analyser_id TEXT NOT NULL REFERENCES analysers (id),
    analyser_version INTEGER NOT NULL,
    computed_at TIMESTAMPTZ NOT NULL,
    rig_id TEXT,
    region TEXT,
    confidence DOUBLE PRECISION NOT NULL,
    summary TEXT NOT NULL,
    details JSONB NOT NULL
);
CREATE INDEX analysis_findings_by_analyser ON analysis_findings (analyser_id);
