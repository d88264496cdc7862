DROP TRIGGER IF EXISTS library_meta_notify_change ON library_meta;
DROP TRIGGER IF EXISTS episodes_notify_change ON episodes;
DROP FUNCTION IF EXISTS sairen_notify_library();
DROP TRIGGER IF EXISTS rigs_notify_delete ON rigs;
DROP TRIGGER IF EXISTS rigs_notify_change ON rigs;
DROP FUNCTION IF EXISTS sairen_notify_rig();
