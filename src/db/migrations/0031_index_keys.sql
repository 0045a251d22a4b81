-- 0031 blind-index key generations (issue 12, S1 key management; `jiayuan keys rotate-index`).
-- Generation 0 is the oldest data key's blind subkey: every blind index stored before this
-- table existed was made with it, so nothing is re-indexed here (wrapped is NULL for it).
-- Later generations are random keys of their own, wrapped under the KEK ("index_key:<gen>",
-- crypto/keyring.h). slot: which of a column's two index slots holds the generation's
-- indexes (0 the original column, 1 its `<col>_b`). state: 'current' (lookups and new
-- indexes), 'next' (being filled by a rotation), 'old' (kept so that an auditor can compute
-- a person's index under every generation audit targets were written with).
CREATE TABLE index_keys (
    gen         {{BIGINT}} PRIMARY KEY,
    wrapped     {{BLOB}},
    slot        INTEGER NOT NULL DEFAULT 0,
    state       TEXT NOT NULL,
    created_at  {{BIGINT}} NOT NULL
);
INSERT INTO index_keys (gen, wrapped, slot, state, created_at) VALUES (0, NULL, 0, 'current', 0);
