-- 0008 (PostgreSQL): covering indexes for the ID-number lookups (R4.1, R4.4); see the SQLite
-- file. PostgreSQL keeps the non-key columns out of the key with INCLUDE.
DROP INDEX samples_person;
CREATE INDEX samples_person ON samples (person_bidx, collected_at) INCLUDE (deleted_at, tube_code, site_id, id_number);
DROP INDEX results_tube;
CREATE INDEX results_tube ON results (tube_code, tested_at, id) INCLUDE (institution, result);
