-- 0013 city↔district site matching (issue 11: R2.11).
-- One matching run: a city vendor's site export (东软) against the district's live sites in
-- the actor's scope. subdistrict '' = a district-wide run. Sites are public facilities:
-- nothing here is personal data.
CREATE TABLE site_match_runs (
    id            {{ID}},
    created_by    TEXT NOT NULL,
    created_at    {{BIGINT}} NOT NULL,
    subdistrict   TEXT NOT NULL DEFAULT '',
    crs           TEXT NOT NULL,
    header_row    {{BIGINT}} NOT NULL DEFAULT 0,
    rows_total    {{BIGINT}} NOT NULL DEFAULT 0,
    sites         {{BIGINT}} NOT NULL DEFAULT 0,   -- district sites matched against
    auto_accepted {{BIGINT}} NOT NULL DEFAULT 0,
    to_review     {{BIGINT}} NOT NULL DEFAULT 0,
    unmatched     {{BIGINT}} NOT NULL DEFAULT 0
);

-- One row per input row (num: the sheet row). site_id: the proposed or accepted district
-- site (NULL when none). status: auto (accepted by the threshold) | review | accepted |
-- rejected | none. score_milli: 0..1000. distance_m: NULL when either side had no point.
CREATE TABLE site_match_rows (
    run_id        {{BIGINT}} NOT NULL REFERENCES site_match_runs (id),
    num           {{BIGINT}} NOT NULL,
    city_code     TEXT NOT NULL DEFAULT '',
    city_name     TEXT NOT NULL DEFAULT '',
    city_district TEXT NOT NULL DEFAULT '',
    city_subdistrict TEXT NOT NULL DEFAULT '',
    lon_e6        {{BIGINT}},                      -- WGS-84
    lat_e6        {{BIGINT}},
    city_count    {{BIGINT}},                      -- the city's figure for the site, if given
    site_id       {{BIGINT}} REFERENCES sites (id),
    score_milli   {{BIGINT}} NOT NULL DEFAULT 0,
    distance_m    {{BIGINT}},
    reasons       TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL,
    reviewed_by   TEXT NOT NULL DEFAULT '',
    reviewed_at   {{BIGINT}} NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, num)
);
CREATE INDEX site_match_rows_status ON site_match_rows (run_id, status, num);
CREATE INDEX sites_city_code ON sites (city_code);
