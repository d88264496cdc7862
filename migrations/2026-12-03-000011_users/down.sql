DELETE FROM dashboard_sessions WHERE user_name IS NOT NULL;
ALTER TABLE dashboard_sessions DROP CONSTRAINT dashboard_sessions_one_holder;
ALTER TABLE dashboard_sessions ALTER COLUMN key_tag SET NOT NULL;
ALTER TABLE dashboard_sessions DROP COLUMN user_name;
DROP TABLE users;
