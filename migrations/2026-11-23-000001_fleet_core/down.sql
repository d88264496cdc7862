DROP TABLE audit_log;
DROP TABLE curation_runs;
DROP TABLE sync_log;
DROP TABLE episodes;
DROP SEQUENCE library_change_seq;
DROP TABLE events;
DROP TABLE rigs;
DROP FUNCTION sairen_touch_updated_at();
