DROP TABLE fleet_kpis;
DROP TABLE region_health;
DROP TABLE rig_health;
DROP TABLE heartbeat_hours;
DROP TABLE heartbeats;
ALTER TABLE rigs DROP COLUMN heartbeat;
ALTER TABLE rigs DROP COLUMN heartbeat_at;
