-- The curator deletes sync_log rows past curator.sync_log_retention_days: by time, not by rig.
CREATE INDEX sync_log_by_time ON sync_log (synced_at);
