-- Hub processes answer heartbeats with their region's fleet notices from memory (issue 18) and
-- must drop them when a correlation changes or a rig moves to another field. A pass rewrites
-- every correlation's updated_at; only a change in what a rig is told wakes anyone.
CREATE FUNCTION sairen_notify_notices() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND TG_TABLE_NAME = 'correlations'
       AND OLD.payload IS NOT DISTINCT FROM NEW.payload
       AND OLD.first_seen_at IS NOT DISTINCT FROM NEW.first_seen_at THEN
        RETURN NULL;
    END IF;
    PERFORM pg_notify('sairen_notices', '');
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER correlations_notify_change
    AFTER INSERT OR UPDATE OR DELETE ON correlations
    FOR EACH ROW
    EXECUTE FUNCTION sairen_notify_notices();

CREATE TRIGGER rigs_notify_field
    AFTER UPDATE OF field ON rigs
    FOR EACH ROW
    WHEN (OLD.field IS DISTINCT FROM NEW.field)
    EXECUTE FUNCTION sairen_notify_notices();
