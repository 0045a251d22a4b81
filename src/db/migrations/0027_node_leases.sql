-- 0027: several serve nodes on one PostgreSQL database (issue 13). A running batch names the
-- node that runs it and how long that claim holds without renewal: the node renews it while
-- it runs; a batch whose lease ran out (its node died) is queued again and taken by another
-- node (domain/batch/batch_worker.h).
ALTER TABLE batches ADD COLUMN owner TEXT NOT NULL DEFAULT '';
ALTER TABLE batches ADD COLUMN lease_until {{BIGINT}} NOT NULL DEFAULT 0;
