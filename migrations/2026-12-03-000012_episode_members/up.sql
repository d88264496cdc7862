-- Which episode an event belongs to, on the event. The episode's array of member ids (with a GIN
-- index over it) was rewritten, index entries and all, on every merge: an episode of n events
-- cost O(n) per merge and O(n^2) in all. Now a merge writes one event's column.
ALTER TABLE events ADD COLUMN episode_id TEXT;
UPDATE events e SET episode_id = ep.id
    FROM episodes ep WHERE e.id = ANY (ep.source_event_ids);
CREATE INDEX events_by_episode ON events (episode_id) WHERE episode_id IS NOT NULL;
DROP INDEX episodes_by_source_event;
ALTER TABLE episodes DROP COLUMN source_event_ids;
