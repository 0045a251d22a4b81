-- 0008 (SQLite): covering indexes for the ID-number lookups (R4.1, R4.4). A batch of
-- 1,000,000 IDs probes samples by blind index and results by tube; with every column the
-- lookup reads inside the index it never touches the table rows (measured: lookup stage
-- 8.4 s -> 3.5 s at district scale; bench/RESULTS.md "Batch lookup").
DROP INDEX samples_person;
CREATE INDEX samples_person ON samples (person_bidx, collected_at, deleted_at, tube_code, site_id, id_number);
DROP INDEX results_tube;
CREATE INDEX results_tube ON results (tube_code, tested_at, id, institution, result);
