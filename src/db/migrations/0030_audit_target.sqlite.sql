-- 0030: the auditor's "who looked up this person" (domain/batch/lookup_audit.c: WHERE target = ?
-- ORDER BY id DESC LIMIT n) reads its rows through this index instead of scanning the log.
CREATE INDEX audit_log_target ON audit_log (target, id);
