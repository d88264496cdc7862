-- Named dashboard users with roles. Passwords are stored only as argon2id hashes. A user is
-- disabled, never deleted: the audit trail names them.
CREATE TABLE users (
    name                TEXT PRIMARY KEY CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,63}$'),
    role                TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
    password_hash       TEXT NOT NULL,
    created_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Sessions started before this are void: a reset password ends every session at once.
    password_changed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_sign_in_at     TIMESTAMPTZ,
    disabled_at         TIMESTAMPTZ
);

-- A session is the admin key's (key_tag names which key) or a user's (user_name).
ALTER TABLE dashboard_sessions ADD COLUMN user_name TEXT REFERENCES users (name);
ALTER TABLE dashboard_sessions ALTER COLUMN key_tag DROP NOT NULL;
ALTER TABLE dashboard_sessions
    ADD CONSTRAINT dashboard_sessions_one_holder CHECK ((key_tag IS NULL) <> (user_name IS NULL));
