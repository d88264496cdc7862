DROP INDEX sync_log_by_time;
