ALTER TABLE rig_health DROP COLUMN status;
DROP TABLE notifications;
