-- 0032 blind-index key rotation (issue 12, `jiayuan keys rotate-index`): the second index slot
-- of each ID-number index column. index_keys (0031) says which generation each slot holds;
-- writers fill both slots, lookups read the current generation's slot, the rotation job
-- fills the next generation's slot from the sealed ID number, then switches. NULL: the slot
-- holds no generation yet (before the first rotation) or the row has no ID number.
ALTER TABLE samples ADD COLUMN person_bidx_b {{BIGINT}};
ALTER TABLE sample_history ADD COLUMN person_bidx_b {{BIGINT}};
ALTER TABLE health_epi ADD COLUMN idno_bidx_b {{BIGINT}};
CREATE INDEX samples_person_b ON samples (person_bidx_b, collected_at);
CREATE INDEX sample_history_person_b ON sample_history (person_bidx_b);
CREATE INDEX health_epi_idno_b ON health_epi (idno_bidx_b);
