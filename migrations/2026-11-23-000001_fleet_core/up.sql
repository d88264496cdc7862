-- SAIREN hub: the fleet core. Every timestamp is timestamptz, stored in UTC.

CREATE FUNCTION sairen_touch_updated_at() RETURNS trigger AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

-- Registered rigs. The API key is `sk-fleet-<key_id>.<secret>`: key_id is stored in clear
-- (to find the rig with one indexed lookup), the secret only as an argon2 PHC hash.
CREATE TABLE rigs (
    rig_id          TEXT PRIMARY KEY,
    well_id         TEXT NOT NULL,
    field           TEXT NOT NULL,
    key_id          TEXT NOT NULL UNIQUE,
    key_hash        TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked')),
    registered_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    revoked_at      TIMESTAMPTZ,
    last_seen       TIMESTAMPTZ,
    last_sync       TIMESTAMPTZ,
    library_version BIGINT,
    event_count     BIGINT NOT NULL DEFAULT 0,
    updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TRIGGER rigs_updated_at BEFORE UPDATE ON rigs
    FOR EACH ROW EXECUTE FUNCTION sairen_touch_updated_at();

-- Events as uploaded, whole, plus the columns queries filter on.
CREATE TABLE events (
    id                 TEXT PRIMARY KEY,
    rig_id             TEXT NOT NULL REFERENCES rigs (rig_id),
    well_id            TEXT NOT NULL,
    field              TEXT NOT NULL,
    campaign           TEXT NOT NULL,
    category           TEXT NOT NULL,
    risk_level         TEXT NOT NULL,
    outcome            TEXT NOT NULL,
    depth_ft           DOUBLE PRECISION NOT NULL,
    occurred_at        TIMESTAMPTZ NOT NULL,
    payload            JSONB NOT NULL,
    needs_curation     BOOLEAN NOT NULL DEFAULT true,
    received_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    outcome_updated_at TIMESTAMPTZ,
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TRIGGER events_updated_at BEFORE UPDATE ON events
    FOR EACH ROW EXECUTE FUNCTION sairen_touch_updated_at();
-- The curator's work list, kept small by being partial.
CREATE INDEX events_needing_curation ON events (received_at) WHERE needs_curation;
CREATE INDEX events_by_rig ON events (rig_id, occurred_at DESC);
CREATE INDEX events_by_time ON events (occurred_at);

-- Every change to an episode (insert, update, archive) takes the next value; the library
-- version is the highest change_seq. Only the curator, holding the curator lock, takes values.
CREATE SEQUENCE library_change_seq AS BIGINT START 1;

-- The precedent library: curated, scored, de-duplicated episodes.
CREATE TABLE episodes (
    id                 TEXT PRIMARY KEY,
    rig_id             TEXT NOT NULL REFERENCES rigs (rig_id),
    field              TEXT NOT NULL,
    category           TEXT NOT NULL,
    campaign           TEXT NOT NULL,
    risk_level         TEXT NOT NULL,
    outcome            TEXT NOT NULL,
    depth_from_ft      DOUBLE PRECISION NOT NULL,
    depth_to_ft        DOUBLE PRECISION NOT NULL,
    score              DOUBLE PRECISION NOT NULL,
    occurred_at        TIMESTAMPTZ NOT NULL,
    source_event_ids   TEXT[] NOT NULL,
    payload            JSONB NOT NULL,
    change_seq         BIGINT NOT NULL UNIQUE,
    archived           BOOLEAN NOT NULL DEFAULT false,
    archived_at        TIMESTAMPTZ,
    archive_reason     TEXT,
    created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at         TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TRIGGER episodes_updated_at BEFORE UPDATE ON episodes
    FOR EACH ROW EXECUTE FUNCTION sairen_touch_updated_at();
CREATE INDEX episodes_active_by_score ON episodes (score DESC) WHERE NOT archived;
CREATE INDEX episodes_dedup ON episodes (rig_id, category, occurred_at) WHERE NOT archived;

-- Every answered library sync.
CREATE TABLE sync_log (
    id             BIGSERIAL PRIMARY KEY,
    rig_id         TEXT NOT NULL REFERENCES rigs (rig_id),
    since_version  BIGINT,
    served_version BIGINT NOT NULL,
    delta_count    INTEGER NOT NULL,
    pruned_count   INTEGER NOT NULL,
    full_sync      BOOLEAN NOT NULL,
    not_modified   BOOLEAN NOT NULL,
    synced_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX sync_log_by_rig ON sync_log (rig_id, synced_at DESC);

-- One row per curation pass, for health and the dashboard.
CREATE TABLE curation_runs (
    id              BIGSERIAL PRIMARY KEY,
    started_at      TIMESTAMPTZ NOT NULL,
    finished_at     TIMESTAMPTZ NOT NULL,
    events_curated  INTEGER NOT NULL,
    episodes_merged INTEGER NOT NULL,
    archived        INTEGER NOT NULL,
    rescored        INTEGER NOT NULL,
    library_version BIGINT NOT NULL
);

-- Who did what to the registry, for the fleet's records.
CREATE TABLE audit_log (
    id       BIGSERIAL PRIMARY KEY,
    at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    actor    TEXT NOT NULL,
    action   TEXT NOT NULL,
    rig_id   TEXT,
    detail   JSONB NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX audit_log_by_rig ON audit_log (rig_id, at DESC);
