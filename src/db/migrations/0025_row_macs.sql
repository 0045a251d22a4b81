-- 0025: test results carry a MAC (issue 12, "Confidentiality and integrity"; crypto/rowmac.h):
-- mac = HMAC-SM3 over the row's identifying fields and its value, mac_key = the data key id.
-- Rows stored before this migration have no mac yet: row_mac_legacy remembers the highest
-- such id per table, `jiayuan verify` computes their macs and then drops the entry. From then
-- on (and for every newer row at once) a missing mac is damaged data, never a value.
ALTER TABLE results ADD COLUMN mac {{BLOB}};
ALTER TABLE results ADD COLUMN mac_key {{BIGINT}};
CREATE TABLE row_mac_legacy (
    tbl  TEXT PRIMARY KEY,
    upto {{BIGINT}} NOT NULL
);
INSERT INTO row_mac_legacy (tbl, upto) SELECT 'results', COALESCE(max(id), 0) FROM results;
