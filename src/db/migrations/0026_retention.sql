-- 0026 retention (issue 12: retention limits with a purge job, deletion on request). The purge
-- (domain/retention/retention.c) deletes in chunks "WHERE <time> < cutoff ORDER BY id LIMIT n";
-- these indexes let each chunk find its rows without scanning the table. The limits themselves
-- are rows of settings ("retention.*", days, 0 = keep forever): no schema needed.
CREATE INDEX samples_collected ON samples (collected_at);
CREATE INDEX samples_tombstones ON samples (deleted_at) WHERE deleted_at > 0;
CREATE INDEX results_tested ON results (tested_at);
CREATE INDEX checkins_at ON checkins (at);
CREATE INDEX batches_created ON batches (status, created_at);
-- erase: stored batch rows by the blind index of their ID (a person's rows across all batches)
CREATE INDEX batch_rows_bidx ON batch_rows (id_bidx) WHERE id_bidx IS NOT NULL;
CREATE INDEX sample_history_person ON sample_history (person_bidx);
