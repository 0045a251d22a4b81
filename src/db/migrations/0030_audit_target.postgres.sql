-- 0030: the auditor's "who looked up this person" (domain/batch/lookup_audit.c: WHERE target = ?
-- ORDER BY id DESC LIMIT n) reads its rows through this index instead of scanning the log.
-- Only the owner of audit_log may index it. A new deployment migrates as the application role
-- before scripts/pg-audit-owner hands the table to a NOLOGIN role, so the index is made here.
-- On a database where that step already ran the application role is no longer the owner: the
-- migration then leaves the index to scripts/pg-audit-owner (run it again after upgrading; it
-- creates the index as the owner) instead of failing the upgrade.
DO $$
BEGIN
    IF pg_has_role(current_user, (SELECT tableowner FROM pg_tables
                                   WHERE schemaname = current_schema() AND tablename = 'audit_log'), 'MEMBER') THEN
        CREATE INDEX IF NOT EXISTS audit_log_target ON audit_log (target, id);
    ELSE
        RAISE NOTICE 'audit_log is not owned by %: run scripts/pg-audit-owner to create audit_log_target', current_user;
    END IF;
END
$$;
