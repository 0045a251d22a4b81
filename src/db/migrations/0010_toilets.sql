-- 0010 toilet surveys and camera reconciliation (issue 8: R3.7-R3.9).
-- Survey listings: which camera IDs a survey (摸排表) lists under which toilet (a place of
-- kind 'toilet'). A listing is a claim to be checked, not a binding: bindings are made from
-- a reconciliation (place_cameras, 0009). Re-importing a survey adds nothing twice.
CREATE TABLE toilet_cameras (
    place_id      {{BIGINT}} NOT NULL REFERENCES places (id),
    gb_id         TEXT NOT NULL,
    camera_name   TEXT NOT NULL DEFAULT '',
    first_row     {{BIGINT}} NOT NULL DEFAULT 0,   -- sheet row of the first listing
    created_by    TEXT NOT NULL,
    created_at    {{BIGINT}} NOT NULL,
    PRIMARY KEY (place_id, gb_id)
);
CREATE INDEX toilet_cameras_gb ON toilet_cameras (gb_id);

-- One reconciliation run (R3.8): the survey listings in the actor's scope against one
-- device export of the video network. subdistrict '' = a district-wide run.
CREATE TABLE reconciliations (
    id            {{ID}},
    created_by    TEXT NOT NULL,
    created_at    {{BIGINT}} NOT NULL,
    subdistrict   TEXT NOT NULL DEFAULT '',
    within_m      {{BIGINT}} NOT NULL,
    devices       {{BIGINT}} NOT NULL DEFAULT 0,   -- usable device rows of the export
    rejected      {{BIGINT}} NOT NULL DEFAULT 0,   -- device rows with a bad ID
    matched       {{BIGINT}} NOT NULL DEFAULT 0,
    conflict      {{BIGINT}} NOT NULL DEFAULT 0,
    only_survey   {{BIGINT}} NOT NULL DEFAULT 0,
    only_online   {{BIGINT}} NOT NULL DEFAULT 0,
    binding_batch {{BIGINT}} REFERENCES binding_batches (id)
);

-- One row per camera ID of a run, in ID order (seq). distance_dm: decimetres to the nearest
-- listed toilet, NULL when unknown. place_ids: space-separated toilet ids (matched: those
-- within the threshold; otherwise all the ID is listed under); toilets: their names.
CREATE TABLE reconciliation_rows (
    reconciliation_id {{BIGINT}} NOT NULL REFERENCES reconciliations (id),
    seq           {{BIGINT}} NOT NULL,
    gb_id         TEXT NOT NULL,
    class         TEXT NOT NULL,                   -- matched | conflict | only_survey | only_online
    distance_dm   {{BIGINT}},
    place_ids     TEXT NOT NULL DEFAULT '',
    toilets       TEXT NOT NULL DEFAULT '',
    net_name      TEXT NOT NULL DEFAULT '',
    net_lon_e6    {{BIGINT}},
    net_lat_e6    {{BIGINT}},
    net_status    TEXT NOT NULL DEFAULT '',        -- online | offline | unknown ('' only_survey)
    reason        TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (reconciliation_id, seq)
);
CREATE INDEX reconciliation_rows_class ON reconciliation_rows (reconciliation_id, class, seq);

-- One survey import (R3.7) and its row report, for GET /api/v1/toilet-imports/{id} and its
-- .xlsx. Toilets are public facilities: nothing here is personal data.
CREATE TABLE toilet_imports (
    id            {{ID}},
    created_by    TEXT NOT NULL,
    created_at    {{BIGINT}} NOT NULL,
    subdistrict   TEXT NOT NULL DEFAULT '',
    crs           TEXT NOT NULL,
    crs_from_sheet INTEGER NOT NULL DEFAULT 0,
    header_row    {{BIGINT}} NOT NULL DEFAULT 0,
    rows_total    {{BIGINT}} NOT NULL DEFAULT 0,
    accepted      {{BIGINT}} NOT NULL DEFAULT 0,
    fixed         {{BIGINT}} NOT NULL DEFAULT 0,
    rejected      {{BIGINT}} NOT NULL DEFAULT 0,
    duplicate     {{BIGINT}} NOT NULL DEFAULT 0,
    skipped       {{BIGINT}} NOT NULL DEFAULT 0,
    toilets       {{BIGINT}} NOT NULL DEFAULT 0,
    toilets_new   {{BIGINT}} NOT NULL DEFAULT 0,
    cameras       {{BIGINT}} NOT NULL DEFAULT 0,
    cameras_new   {{BIGINT}} NOT NULL DEFAULT 0
);
CREATE TABLE toilet_import_rows (
    import_id     {{BIGINT}} NOT NULL REFERENCES toilet_imports (id),
    num           {{BIGINT}} NOT NULL,                -- the sheet row number
    status        TEXT NOT NULL,                      -- accepted | fixed | rejected | duplicate | skipped
    reason        TEXT NOT NULL DEFAULT '',
    name          TEXT NOT NULL DEFAULT '',
    subdistrict   TEXT NOT NULL DEFAULT '',
    lon_e6        {{BIGINT}},
    lat_e6        {{BIGINT}},
    gb_id         TEXT NOT NULL DEFAULT '',
    camera        TEXT NOT NULL DEFAULT '',           -- '' | ok | fixed | rejected
    PRIMARY KEY (import_id, num)
);
