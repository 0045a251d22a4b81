-- 0023 key rotation (issue 12, S1 key management): data-key generations can be retired, and
-- the re-seal job keeps its progress here so that it resumes after kill -9.
-- data_keys.retired_at: set by `jiayuan keys retire N` once no sealed value uses key N; its
-- wrapped column then holds only the subkeys the audit chain and blind indexes still need
-- (crypto/keyring.h, "retired_key:<id>"), never the data key itself.
ALTER TABLE data_keys ADD COLUMN retired_at {{BIGINT}};

-- One row per rotation job: from every older key to to_key. pass counts the sweeps (a sweep
-- that re-sealed nothing and began after every node had loaded to_key finishes the job);
-- finished_at is NULL while it runs.
CREATE TABLE key_rotations (
    id           {{BIGINT}} PRIMARY KEY,
    kind         TEXT NOT NULL,                  -- 'data'
    to_key       {{BIGINT}} NOT NULL,
    pass         INTEGER NOT NULL DEFAULT 1,
    started_at   {{BIGINT}} NOT NULL,
    pass_started_at {{BIGINT}} NOT NULL DEFAULT 0,
    finished_at  {{BIGINT}}
);

-- Progress per table of a rotation: the last primary key done (keyset paging; last_k2 for
-- tables with a two-column key), rows read, values re-sealed, values that did not open.
CREATE TABLE key_rotation_progress (
    rotation_id  {{BIGINT}} NOT NULL REFERENCES key_rotations (id),
    tbl          TEXT NOT NULL,
    last_k1      {{BIGINT}} NOT NULL DEFAULT 0,
    last_k2      {{BIGINT}} NOT NULL DEFAULT 0,
    rows_done    {{BIGINT}} NOT NULL DEFAULT 0,
    resealed     {{BIGINT}} NOT NULL DEFAULT 0,
    pass_resealed {{BIGINT}} NOT NULL DEFAULT 0,  -- re-sealed in the current pass
    damaged      {{BIGINT}} NOT NULL DEFAULT 0,
    done         INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (rotation_id, tbl)
);
