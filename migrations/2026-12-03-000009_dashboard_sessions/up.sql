-- Dashboard sessions, kept server-side so that signing out (or changing the admin key) ends a
-- session at once in every hub process. Only a digest of each session's token is stored.
CREATE TABLE dashboard_sessions (
    token_digest TEXT PRIMARY KEY,
    -- Which admin key signed it in (a digest of its digest): another key's sessions are void.
    key_tag      TEXT NOT NULL,
    client       TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at   TIMESTAMPTZ NOT NULL,
    ended_at     TIMESTAMPTZ
);
CREATE INDEX dashboard_sessions_by_expiry ON dashboard_sessions (expires_at);
