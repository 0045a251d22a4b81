-- 0021: damaged data in batch results (issue 12, S-evidence): a result whose person has a
-- sample that failed its integrity check reads "damaged", never "not found".
ALTER TABLE batch_results ADD COLUMN damaged INTEGER NOT NULL DEFAULT 0;
ALTER TABLE batches ADD COLUMN damaged {{BIGINT}} NOT NULL DEFAULT 0;
