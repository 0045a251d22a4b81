-- 0015 emergency bureau (应急局) figures and history import (issue 11: R2.8, R2.9, R2.10).
-- The bureau's own figures per plan x layout (subdistrict | industry) x name, as last sent
-- (a re-send of the same row replaces it: idempotent). code is our subdistrict or industry
-- code the name resolved to, '' when it resolved to nothing (still kept and shown).
CREATE TABLE emergency_figures (
    id              {{ID}},
    plan_no         TEXT NOT NULL,
    layout          TEXT NOT NULL,               -- subdistrict | industry
    name            TEXT NOT NULL,               -- as the bureau writes it
    code            TEXT NOT NULL DEFAULT '',
    plan_name       TEXT NOT NULL DEFAULT '',
    planned         {{BIGINT}} NOT NULL,
    actual          {{BIGINT}} NOT NULL,
    difference      {{BIGINT}} NOT NULL,
    started_at      {{BIGINT}} NOT NULL DEFAULT 0,  -- 开始时间, ms; 0 = not given
    received_at     {{BIGINT}} NOT NULL DEFAULT 0,  -- 接诉时间, ms; 0 = not given
    industry_counts TEXT NOT NULL DEFAULT '{}',  -- JSON object: industry name -> count
    source          TEXT NOT NULL,
    updated_at      {{BIGINT}} NOT NULL,
    UNIQUE (plan_no, layout, name)
);

-- History import (R2.10): each row of a past round as last imported, keyed by plan and row
-- key (the subdistrict, or school|grade|class), so a re-import adds only the difference
-- to stat_plan (idempotent).
CREATE TABLE history_rows (
    plan_id         {{BIGINT}} NOT NULL,
    row_key         TEXT NOT NULL,
    subdistrict     TEXT NOT NULL,
    industry        TEXT NOT NULL,               -- '' for a subdistrict round, 'P' for a school row
    planned         {{BIGINT}} NOT NULL,
    actual          {{BIGINT}} NOT NULL,
    imported_at     {{BIGINT}} NOT NULL,
    PRIMARY KEY (plan_id, row_key)
);
