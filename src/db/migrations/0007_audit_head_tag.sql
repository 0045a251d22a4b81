-- 0007: the audit chain head carries a keyed tag over (last_id, mac), so someone with
-- database access but without the audit key cannot cut the newest entries and rewind the
-- head to an earlier row (S6). Verification treats a missing tag as broken.
ALTER TABLE audit_head ADD COLUMN tag {{BLOB}};
