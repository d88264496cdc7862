DROP FUNCTION audit_prune(TIMESTAMPTZ, TEXT);
CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END $$;
DROP TRIGGER audit_checkpoints_append_only ON audit_checkpoints;
DROP TABLE audit_checkpoints;
