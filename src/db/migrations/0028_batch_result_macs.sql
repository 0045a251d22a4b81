-- 0028: batch results carry a MAC like test results (issue 12; crypto/rowmac.h, 0025):
-- mac = HMAC-SM3 over batch_id, row_no and every stored result column, mac_key = the data
-- key id. Batches whose results were stored before this migration have no mac yet:
-- row_mac_legacy remembers the highest such batch id, `jiayuan verify` computes their macs
-- and then drops the entry. A re-run stores its results with macs at once.
ALTER TABLE batch_results ADD COLUMN mac {{BLOB}};
ALTER TABLE batch_results ADD COLUMN mac_key {{BIGINT}};
INSERT INTO row_mac_legacy (tbl, upto) SELECT 'batch_results', COALESCE(max(batch_id), 0) FROM batch_results;
