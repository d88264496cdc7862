DROP TRIGGER rigs_notify_field ON rigs;
DROP TRIGGER correlations_notify_change ON correlations;
DROP FUNCTION sairen_notify_notices();
