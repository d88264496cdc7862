-- Hub processes keep caches (verified keys, the library version) and must drop them when another
-- process changes what they were built from (DESIGN §9). PostgreSQL delivers these notifications
-- at commit, to every listening session, in commit order.

-- A rig's key or status changed (revoke, key rotation) or the rig was deleted. Uploads and syncs
-- also update the row (last_seen, last_sync), and must not wake anyone, hence the WHEN clause.
CREATE FUNCTION sairen_notify_rig() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('sairen_rigs', OLD.rig_id);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER rigs_notify_change
    AFTER UPDATE OF status, key_id, key_hash ON rigs
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status
          OR OLD.key_id IS DISTINCT FROM NEW.key_id
          OR OLD.key_hash IS DISTINCT FROM NEW.key_hash)
    EXECUTE FUNCTION sairen_notify_rig();

CREATE TRIGGER rigs_notify_delete
    AFTER DELETE ON rigs
    FOR EACH ROW
    EXECUTE FUNCTION sairen_notify_rig();

-- The library changed. Once per statement, and PostgreSQL folds identical notifications of one
-- transaction into one, so a curation pass costs one notification per event it curates.
CREATE FUNCTION sairen_notify_library() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('sairen_library', '');
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER episodes_notify_change
    AFTER INSERT OR UPDATE OR DELETE ON episodes
    FOR EACH STATEMENT
    EXECUTE FUNCTION sairen_notify_library();

CREATE TRIGGER library_meta_notify_change
    AFTER INSERT OR UPDATE OR DELETE ON library_meta
    FOR EACH STATEMENT
    EXECUTE FUNCTION sairen_notify_library();
