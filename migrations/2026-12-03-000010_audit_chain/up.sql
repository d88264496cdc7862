-- The audit trail becomes append-only and hash-chained: each entry carries the SHA-256 of the
-- previous entry's hash and its own content, computed here in the database (one formula, used by
-- the trigger and by `sairen admin audit verify`), under a lock so the chain never forks.
ALTER TABLE audit_log ADD COLUMN source TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_log ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_log ADD COLUMN hash TEXT;

CREATE FUNCTION audit_content(e audit_log) RETURNS TEXT LANGUAGE sql IMMUTABLE AS $$
    SELECT concat_ws('|', e.id::text,
        to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        e.actor, e.action, coalesce(e.rig_id, ''), e.source, e.detail::text)
$$;

CREATE FUNCTION audit_seal(prev TEXT, e audit_log) RETURNS TEXT LANGUAGE sql IMMUTABLE AS $$
    SELECT encode(sha256(convert_to(prev || '|' || audit_content(e), 'UTF8')), 'hex')
$$;

-- The chain so far (entries from before this migration), sealed in order.
DO $$
DECLARE
    r audit_log;
    prev TEXT := repeat('0', 64);
BEGIN
    FOR r IN SELECT * FROM audit_log ORDER BY id LOOP
        UPDATE audit_log SET prev_hash = prev, hash = audit_seal(prev, r) WHERE id = r.id;
        prev := audit_seal(prev, r);
    END LOOP;
END $$;

CREATE FUNCTION audit_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    last audit_log;
BEGIN
    -- One writer at a time across every hub process: the chain is a line, never a tree.
    PERFORM pg_advisory_xact_lock(hashtext('sairen-audit-chain'));
    SELECT * INTO last FROM audit_log ORDER BY id DESC LIMIT 1;
    -- Ids follow the chain: a sequence value taken before the lock could be out of order.
    NEW.id := coalesce(last.id, 0) + 1;
    NEW.prev_hash := coalesce(last.hash, repeat('0', 64));
    NEW.hash := audit_seal(NEW.prev_hash, NEW);
    RETURN NEW;
END $$;

CREATE TRIGGER audit_chain BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_chain();

CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END $$;

CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();

ALTER TABLE audit_log ALTER COLUMN prev_hash SET NOT NULL;
ALTER TABLE audit_log ALTER COLUMN hash SET NOT NULL;
