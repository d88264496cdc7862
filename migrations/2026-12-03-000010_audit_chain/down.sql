DROP TRIGGER audit_append_only ON audit_log;
DROP FUNCTION audit_append_only();
DROP TRIGGER audit_chain ON audit_log;
DROP FUNCTION audit_chain();
DROP FUNCTION audit_seal(TEXT, audit_log);
DROP FUNCTION audit_content(audit_log);
ALTER TABLE audit_log DROP COLUMN hash;
ALTER TABLE audit_log DROP COLUMN prev_hash;
ALTER TABLE audit_log DROP COLUMN source;
