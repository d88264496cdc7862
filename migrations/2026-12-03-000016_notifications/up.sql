-- Outgoing webhooks (issue 18): every notification to every webhook that wants it is a row, so
-- what was sent, when, how often it was tried and why it failed is on record. A notification is
-- made once per webhook and cause (dedup_key): a second hub process, or a second pass, finding the
-- same cause adds nothing.
CREATE TABLE notifications (
    id BIGSERIAL PRIMARY KEY,
    url TEXT NOT NULL,
    kind TEXT NOT NULL,
    dedup_key TEXT NOT NULL,
    payload JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    delivered_at TIMESTAMPTZ,
    gave_up_at TIMESTAMPTZ,
    last_status INTEGER,
    last_error TEXT,
    UNIQUE (url, dedup_key)
);
CREATE INDEX notifications_due ON notifications (next_attempt_at)
    WHERE delivered_at IS NULL AND gave_up_at IS NULL;

-- The status each rig had at the latest aggregation pass: a change to stale or faulted is
-- noticed by comparing with it.
ALTER TABLE rig_health ADD COLUMN status TEXT NOT NULL DEFAULT 'active';
