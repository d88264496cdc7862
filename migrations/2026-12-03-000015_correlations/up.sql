-- Cross-rig correlations (issue 18): incidents of one category on two or more rigs of a region
-- within the window. One row per region and category, kept while it holds; first_seen_at says
-- when the fleet first saw it (what a notification of a new correlation keys on).
CREATE TABLE correlations (
    region TEXT NOT NULL,
    category TEXT NOT NULL,
    first_seen_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    payload JSONB NOT NULL,
    PRIMARY KEY (region, category)
);
