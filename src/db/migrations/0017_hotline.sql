-- 0017 12345 hotline (接诉即办) tickets, rule sets, runs and checked samples (issue 11: R2.12).
-- The caller's name, phone and the address are SM4 ciphertext (BLOB, crypto/field.h) with the
-- column as associated data; the phone also has a blind index ("hotline_phone") for lookup.
-- Times are ms since the epoch (UTC).

-- Tickets, one per ticket number (a re-import of the same number is a duplicate, not a row).
CREATE TABLE hotline_tickets (
    id            {{ID}},
    number        TEXT NOT NULL UNIQUE,         -- 工单编号
    received_at   {{BIGINT}} NOT NULL,          -- 受理时间
    category      TEXT NOT NULL,                -- 问题分类 as written
    category_norm TEXT NOT NULL,                -- hotline_category_norm form
    title         TEXT NOT NULL,
    content       TEXT NOT NULL,
    status        TEXT NOT NULL,
    address       {{BLOB}},                     -- sealed, ad "hotline_tickets.address"
    caller        {{BLOB}},                     -- sealed, ad "hotline_tickets.caller"
    phone_bidx    {{BIGINT}},                   -- blind index "hotline_phone" of the digits
    phone         {{BLOB}},                     -- sealed, ad "hotline_tickets.phone"
    created_by    TEXT NOT NULL,
    created_at    {{BIGINT}} NOT NULL
);
CREATE INDEX hotline_tickets_received ON hotline_tickets (received_at, id);
CREATE INDEX hotline_tickets_phone ON hotline_tickets (phone_bidx);

-- Rule sets; the text lives in versions (every edit adds one, none is changed or dropped).
CREATE TABLE hotline_rules (
    id            {{ID}},
    version       INTEGER NOT NULL,             -- the current version
    created_by    TEXT NOT NULL,
    created_at    {{BIGINT}} NOT NULL
);
CREATE TABLE hotline_rule_versions (
    id            {{ID}},
    rule_id       {{BIGINT}} NOT NULL REFERENCES hotline_rules (id),
    version       INTEGER NOT NULL,
    name          TEXT NOT NULL,
    categories    TEXT NOT NULL,                -- category paths, one per line ('' = all)
    expression    TEXT NOT NULL,
    synonyms      TEXT NOT NULL,                -- one group per line
    created_by    TEXT NOT NULL,
    created_at    {{BIGINT}} NOT NULL,
    UNIQUE (rule_id, version)
);

-- A run of one rule version over the tickets received in [from_at, to_at).
CREATE TABLE hotline_runs (
    id            {{ID}},
    rule_id       {{BIGINT}} NOT NULL REFERENCES hotline_rules (id),
    version_id    {{BIGINT}} NOT NULL REFERENCES hotline_rule_versions (id),
    from_at       {{BIGINT}} NOT NULL,
    to_at         {{BIGINT}} NOT NULL,
    tickets       {{BIGINT}} NOT NULL,          -- tickets in the period
    in_category   {{BIGINT}} NOT NULL,
    matched       {{BIGINT}} NOT NULL,
    created_by    TEXT NOT NULL,
    created_at    {{BIGINT}} NOT NULL
);
CREATE INDEX hotline_runs_rule ON hotline_runs (rule_id, id);
CREATE TABLE hotline_hits (
    run_id        {{BIGINT}} NOT NULL REFERENCES hotline_runs (id),
    ticket_id     {{BIGINT}} NOT NULL REFERENCES hotline_tickets (id),
    PRIMARY KEY (run_id, ticket_id)
);

-- A random sample of a run's hits, checked by a person; checked/relevant kept up to date.
CREATE TABLE hotline_samples (
    id            {{ID}},
    run_id        {{BIGINT}} NOT NULL REFERENCES hotline_runs (id),
    drawn         INTEGER NOT NULL,             -- hits drawn (N, or fewer when the run had fewer)
    checked       INTEGER NOT NULL DEFAULT 0,
    relevant      INTEGER NOT NULL DEFAULT 0,
    created_by    TEXT NOT NULL,
    created_at    {{BIGINT}} NOT NULL
);
CREATE INDEX hotline_samples_run ON hotline_samples (run_id);
CREATE TABLE hotline_sample_items (
    sample_id     {{BIGINT}} NOT NULL REFERENCES hotline_samples (id),
    ticket_id     {{BIGINT}} NOT NULL REFERENCES hotline_tickets (id),
    seq           INTEGER NOT NULL,             -- the order drawn
    verdict       INTEGER NOT NULL DEFAULT -1,  -- -1 unchecked, 0 not relevant, 1 relevant
    checked_by    TEXT NOT NULL DEFAULT '',
    checked_at    {{BIGINT}} NOT NULL DEFAULT 0,
    PRIMARY KEY (sample_id, ticket_id)
);
