-- 0006 batch queries (R4.3-R4.7): uploaded resident lists, their rows (sealed) and the
-- result of the last run of each row. domain/batch_job.h is the contract.
--
-- batches: one uploaded list. status: uploading (rows being stored; invisible, removed at
-- startup if the server died meanwhile) | queued | running | done | failed. subdistrict is
-- the uploader's ('' = a district-wide account): scope checks and the worker's round-robin
-- go by it. file_name is the user's own text (never logged). The counts are those of the
-- last finished run; progress_ppm is 0..1000000 while running. The column indexes and
-- header_row are what io/columns.h detected on upload (0-based; -1 = none).
CREATE TABLE batches (
    id           {{ID}},
    user_id      {{BIGINT}} NOT NULL,
    username     TEXT NOT NULL,
    role         TEXT NOT NULL,
    subdistrict  TEXT NOT NULL DEFAULT '',
    status       TEXT NOT NULL,
    file_name    TEXT NOT NULL DEFAULT '',
    file_format  TEXT NOT NULL DEFAULT '',       -- xlsx | csv
    file_bytes   {{BIGINT}} NOT NULL DEFAULT 0,
    col_id       INTEGER NOT NULL DEFAULT -1,
    col_name     INTEGER NOT NULL DEFAULT -1,
    col_phone    INTEGER NOT NULL DEFAULT -1,
    id_rule      TEXT NOT NULL DEFAULT '',       -- header | content
    header_row   {{BIGINT}} NOT NULL DEFAULT 0,  -- table_row.num of the header, 0 = none
    ncols        INTEGER NOT NULL DEFAULT 0,     -- widest row (cells)
    nrows        {{BIGINT}} NOT NULL DEFAULT 0,  -- stored rows (title and header included)
    days_window  INTEGER NOT NULL DEFAULT 14,
    days_count   INTEGER NOT NULL DEFAULT 3,
    data_rows    {{BIGINT}} NOT NULL DEFAULT 0,  -- data rows (the API's "rows")
    valid        {{BIGINT}} NOT NULL DEFAULT 0,
    found        {{BIGINT}} NOT NULL DEFAULT 0,
    not_found    {{BIGINT}} NOT NULL DEFAULT 0,
    invalid      {{BIGINT}} NOT NULL DEFAULT 0,
    duplicate    {{BIGINT}} NOT NULL DEFAULT 0,
    tested       {{BIGINT}} NOT NULL DEFAULT 0,
    by_status    TEXT NOT NULL DEFAULT '{}',     -- JSON {"ok":N,…}: counts only
    progress_ppm {{BIGINT}} NOT NULL DEFAULT 0,
    stage        TEXT NOT NULL DEFAULT '',       -- read | lookup | write while running
    error        TEXT NOT NULL DEFAULT '',       -- why it failed (English, no cell content)
    runs         INTEGER NOT NULL DEFAULT 0,
    created_at   {{BIGINT}} NOT NULL,
    queued_at    {{BIGINT}} NOT NULL DEFAULT 0,
    started_at   {{BIGINT}} NOT NULL DEFAULT 0,
    finished_at  {{BIGINT}} NOT NULL DEFAULT 0
);
CREATE INDEX batches_status ON batches (status, queued_at);
CREATE INDEX batches_subdistrict ON batches (subdistrict, id);

-- One row of the upload, in order (row_no 0..nrows-1), title and header rows included.
-- cells: the row's original cells as one sealed JSON array of strings, ad
-- "batch_rows.cells". id_bidx: blind index ("idno") of the normalised ID of a data row
-- whose ID is valid, NULL otherwise.
CREATE TABLE batch_rows (
    batch_id     {{BIGINT}} NOT NULL REFERENCES batches (id) ON DELETE CASCADE,
    row_no       {{BIGINT}} NOT NULL,
    num          {{BIGINT}} NOT NULL,            -- the row number the user sees
    id_bidx      {{BIGINT}},
    cells        {{BLOB}} NOT NULL,
    PRIMARY KEY (batch_id, row_no)
);

-- The last run's result of each data row: status codes and result columns, no personal
-- data (institutions and sites are not people). Replaced by every run.
CREATE TABLE batch_results (
    batch_id     {{BIGINT}} NOT NULL REFERENCES batches (id) ON DELETE CASCADE,
    row_no       {{BIGINT}} NOT NULL,
    status       TEXT NOT NULL,                  -- core/idno.h stable code
    first_num    {{BIGINT}} NOT NULL DEFAULT 0,  -- duplicate: row number of the first one
    found        INTEGER NOT NULL DEFAULT 0,
    tested       INTEGER NOT NULL DEFAULT 0,
    tests        INTEGER NOT NULL DEFAULT 0,     -- samples in the last days_count days
    sampled_at   {{BIGINT}} NOT NULL DEFAULT 0,
    tested_at    {{BIGINT}} NOT NULL DEFAULT 0,
    institution  TEXT NOT NULL DEFAULT '',
    result       TEXT NOT NULL DEFAULT '',
    site_code    TEXT NOT NULL DEFAULT '',
    site_name    TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (batch_id, row_no)
);
