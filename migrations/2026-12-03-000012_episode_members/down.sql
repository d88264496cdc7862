ALTER TABLE episodes ADD COLUMN source_event_ids TEXT[] NOT NULL DEFAULT '{}';
UPDATE episodes ep SET source_event_ids = m.ids
    FROM (SELECT episode_id, array_agg(id ORDER BY id) AS ids
          FROM events WHERE episode_id IS NOT NULL GROUP BY episode_id) m
    WHERE m.episode_id = ep.id;
ALTER TABLE episodes ALTER COLUMN source_event_ids DROP DEFAULT;
CREATE INDEX episodes_by_source_event ON episodes USING GIN (source_event_ids);
DROP INDEX events_by_episode;
ALTER TABLE events DROP COLUMN episode_id;
