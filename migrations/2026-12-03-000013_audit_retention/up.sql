-- Retention that keeps the audit chain verifiable: the oldest entries may be removed, but only
-- through audit_prune, which first writes a checkpoint (the last entry removed and its hash,
-- where the remaining chain now starts) and then an `audit_pruned` entry into the chain itself.
-- `verify` starts from the newest checkpoint. Checkpoints are append-only too.
CREATE TABLE audit_checkpoints (
    id           BIGSERIAL PRIMARY KEY,
    at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    through_id   BIGINT NOT NULL,
    through_hash TEXT NOT NULL,
    removed      BIGINT NOT NULL
);

CREATE TRIGGER audit_checkpoints_append_only BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();

-- Entries may now be deleted only while audit_prune runs, and only those its checkpoint covers.
CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'audit_log' AND TG_OP = 'DELETE'
       AND current_setting('sairen.audit_pruning', true) = 'on'
       AND OLD.id <= (SELECT max(through_id) FROM audit_checkpoints) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END $$;

CREATE FUNCTION audit_prune(before TIMESTAMPTZ, actor TEXT) RETURNS BIGINT LANGUAGE plpgsql AS $$
DECLARE
    newest BIGINT;
    last audit_log;
    n BIGINT;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('sairen-audit-chain'));
    SELECT max(id) INTO newest FROM audit_log;
    -- The newest entry always stays: it is the head a later verify must reach.
    SELECT * INTO last FROM audit_log WHERE at < before AND id < newest ORDER BY id DESC LIMIT 1;
    IF last.id IS NULL THEN
        RETURN 0;
    END IF;
    SELECT count(*) INTO n FROM audit_log WHERE id <= last.id;
    INSERT INTO audit_checkpoints (through_id, through_hash, removed) VALUES (last.id, last.hash, n);
    PERFORM set_config('sairen.audit_pruning', 'on', true);
    DELETE FROM audit_log WHERE id <= last.id;
    PERFORM set_config('sairen.audit_pruning', 'off', true);
    INSERT INTO audit_log (actor, source, action, detail)
        VALUES (actor, '', 'audit_pruned',
                jsonb_build_object('through_id', last.id, 'through_hash', last.hash,
                                   'removed', n, 'before', before));
    RETURN n;
END $$;
