-- 0024 bulk lookups (issue 12): per-account quotas, owner-only batches, per-person lookup audit.
-- domain/batch/batch_quota.h and domain/batch/lookup_audit.h are the contracts.

-- A batch's uploaded cells (names, phones, the full ID numbers in an export) are the
-- uploader's alone unless the uploader shares the batch with its subdistrict (1).
ALTER TABLE batches ADD COLUMN shared INTEGER NOT NULL DEFAULT 0;

-- Rows an account looked up through batches: one row per accepted upload or re-run. The quota
-- (policy.batch_rows_per_day) is checked against the sum over the last 24 hours.
CREATE TABLE batch_quota_use (
    user_id     {{BIGINT}} NOT NULL,
    at          {{BIGINT}} NOT NULL,
    nrows       {{BIGINT}} NOT NULL,
    batch_id    {{BIGINT}} NOT NULL
);
CREATE INDEX batch_quota_use_user ON batch_quota_use (user_id, at);

-- Who looked up whom by batch: one row per row with a valid ID of each finished run, by blind
-- index ("idno") only - never the number. Kept when the batch is deleted (no foreign key):
-- it is audit evidence. Read by the auditor's GET /api/v1/audit/lookups.
CREATE TABLE batch_lookups (
    id_bidx     {{BIGINT}} NOT NULL,
    looked_at   {{BIGINT}} NOT NULL,
    batch_id    {{BIGINT}} NOT NULL,
    user_id     {{BIGINT}} NOT NULL,
    username    TEXT NOT NULL
);
CREATE INDEX batch_lookups_bidx ON batch_lookups (id_bidx, looked_at);
