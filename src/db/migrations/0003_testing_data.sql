-- 0003 testing data (R2.1-R2.7, R1.2-R1.6): sites, plans, planned and actual reports with
-- corrections, samples, transports, results, check-ins; the outbox feeding push (SSE and
-- webhooks); statistics counters maintained in the ingest transaction.
-- Every upstream record carries (source, external_id), unique, so retries are idempotent.
-- Coordinates are WGS-84 micro-degrees (integers); times are ms since the epoch (UTC).
-- Personal data (ID number, name, phone, address, staff names) is SM4 ciphertext (BLOB).

CREATE TABLE sites (
    id            {{ID}},
    code          TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    type          TEXT NOT NULL,                 -- fixed | temporary | mobile | convenience (便民)
    subdistrict   TEXT NOT NULL REFERENCES divisions (code),
    community     TEXT REFERENCES divisions (code),
    address       {{BLOB}},                      -- sealed, ad "sites.address"
    lon_e6        {{BIGINT}} NOT NULL,
    lat_e6        {{BIGINT}} NOT NULL,
    opening_hours TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL DEFAULT 'open',  -- open | closed | paused
    capacity      INTEGER NOT NULL DEFAULT 0,
    city_code     TEXT,                          -- the city platform's site code (R2.11)
    source        TEXT NOT NULL,
    external_id   TEXT NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1,
    created_at    {{BIGINT}} NOT NULL,
    updated_at    {{BIGINT}} NOT NULL,
    deleted_at    {{BIGINT}} NOT NULL DEFAULT 0, -- soft delete
    UNIQUE (source, external_id)
);
CREATE INDEX sites_subdistrict ON sites (subdistrict);

-- Every version of a site, written in the same transaction as the change.
CREATE TABLE site_history (
    id            {{ID}},
    site_id       {{BIGINT}} NOT NULL REFERENCES sites (id),
    version       INTEGER NOT NULL,
    action        TEXT NOT NULL,                 -- create | update | delete
    actor         TEXT NOT NULL,
    changed_at    {{BIGINT}} NOT NULL,
    name          TEXT NOT NULL,
    type          TEXT NOT NULL,
    subdistrict   TEXT NOT NULL,
    community     TEXT,
    address       {{BLOB}},
    lon_e6        {{BIGINT}} NOT NULL,
    lat_e6        {{BIGINT}} NOT NULL,
    opening_hours TEXT NOT NULL,
    status        TEXT NOT NULL,
    capacity      INTEGER NOT NULL,
    city_code     TEXT
);
CREATE INDEX site_history_site ON site_history (site_id, version);

CREATE TABLE plans (
    id          {{ID}},
    plan_no     TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL DEFAULT 'mass',    -- mass | key_groups | school | other
    starts_at   {{BIGINT}} NOT NULL,
    ends_at     {{BIGINT}} NOT NULL,
    scope       TEXT NOT NULL DEFAULT '',        -- comma-separated subdistrict codes, '' = all
    source      TEXT NOT NULL,
    external_id TEXT NOT NULL,
    created_at  {{BIGINT}} NOT NULL,
    updated_at  {{BIGINT}} NOT NULL,
    UNIQUE (source, external_id)
);

-- 应检: planned head-counts per plan x subdistrict x community x industry ('' = total).
CREATE TABLE planned (
    id          {{ID}},
    plan_id     {{BIGINT}} NOT NULL REFERENCES plans (id),
    subdistrict TEXT NOT NULL REFERENCES divisions (code),
    community   TEXT NOT NULL DEFAULT '',
    industry    TEXT NOT NULL DEFAULT '',
    count       {{BIGINT}} NOT NULL,
    reported_at {{BIGINT}} NOT NULL,
    source      TEXT NOT NULL,
    external_id TEXT NOT NULL,
    UNIQUE (source, external_id)
);
CREATE INDEX planned_plan ON planned (plan_id, subdistrict);

-- 实检: actual counts as reported per plan x subdistrict x site x industry.
CREATE TABLE actuals (
    id          {{ID}},
    plan_id     {{BIGINT}} NOT NULL REFERENCES plans (id),
    subdistrict TEXT NOT NULL REFERENCES divisions (code),
    site_id     {{BIGINT}} REFERENCES sites (id),
    industry    TEXT NOT NULL DEFAULT '',
    count       {{BIGINT}} NOT NULL,
    reported_at {{BIGINT}} NOT NULL,
    source      TEXT NOT NULL,
    external_id TEXT NOT NULL,
    UNIQUE (source, external_id)
);
CREATE INDEX actuals_plan ON actuals (plan_id, subdistrict);

-- Subdistrict corrections of actuals: the original row is never changed (R1.5, R1.6).
CREATE TABLE actual_corrections (
    id           {{ID}},
    actual_id    {{BIGINT}} NOT NULL REFERENCES actuals (id),
    original     {{BIGINT}} NOT NULL,
    corrected    {{BIGINT}} NOT NULL,
    reason       TEXT NOT NULL,
    actor        TEXT NOT NULL,
    corrected_at {{BIGINT}} NOT NULL
);
CREATE INDEX actual_corrections_actual ON actual_corrections (actual_id, id);

-- 扫码取样: one scanned person. person_bidx is the blind index of the normalised ID number.
CREATE TABLE samples (
    id           {{ID}},
    source       TEXT NOT NULL,
    external_id  TEXT NOT NULL,
    person_bidx  {{BIGINT}} NOT NULL,
    id_number    {{BLOB}} NOT NULL,              -- sealed, ad "samples.id_number"
    name         {{BLOB}} NOT NULL,              -- sealed, ad "samples.name"
    phone        {{BLOB}},                       -- sealed, ad "samples.phone"
    tube_code    TEXT NOT NULL,
    mix_size     INTEGER NOT NULL DEFAULT 1,
    mix_index    INTEGER NOT NULL DEFAULT 1,
    site_id      {{BIGINT}} NOT NULL REFERENCES sites (id),
    plan_id      {{BIGINT}} REFERENCES plans (id),
    subdistrict  TEXT NOT NULL,
    community    TEXT,
    collected_at {{BIGINT}} NOT NULL,
    collector    {{BLOB}},                       -- sealed, ad "samples.collector"
    created_at   {{BIGINT}} NOT NULL,
    deleted_at   {{BIGINT}} NOT NULL DEFAULT 0,  -- tombstone
    UNIQUE (source, external_id)
);
CREATE INDEX samples_person ON samples (person_bidx, collected_at);
CREATE INDEX samples_tube ON samples (tube_code);
CREATE INDEX samples_site ON samples (site_id, collected_at);

-- 转运: a box or bag of tubes from a site to a laboratory.
CREATE TABLE transports (
    id          {{ID}},
    source      TEXT NOT NULL,
    external_id TEXT NOT NULL,
    box_code    TEXT NOT NULL,
    from_site   {{BIGINT}} NOT NULL REFERENCES sites (id),
    to_lab      TEXT NOT NULL,
    handed_at   {{BIGINT}} NOT NULL,
    received_at {{BIGINT}} NOT NULL DEFAULT 0,
    courier     {{BLOB}},                        -- sealed, ad "transports.courier"
    status      TEXT NOT NULL,                   -- in_transit | received | lost
    tube_count  INTEGER NOT NULL,
    created_at  {{BIGINT}} NOT NULL,
    updated_at  {{BIGINT}} NOT NULL,
    UNIQUE (source, external_id)
);
CREATE TABLE transport_tubes (
    transport_id {{BIGINT}} NOT NULL REFERENCES transports (id),
    tube_code    TEXT NOT NULL,
    PRIMARY KEY (transport_id, tube_code)
);
CREATE INDEX transport_tubes_tube ON transport_tubes (tube_code);

-- 检测结果: a tube's result; a person's result is their tube's result.
CREATE TABLE results (
    id          {{ID}},
    source      TEXT NOT NULL,
    external_id TEXT NOT NULL,
    tube_code   TEXT NOT NULL,
    institution TEXT NOT NULL,
    tested_at   {{BIGINT}} NOT NULL,
    result      TEXT NOT NULL,                   -- negative | positive | invalid | pending
    created_at  {{BIGINT}} NOT NULL,
    UNIQUE (source, external_id)
);
CREATE INDEX results_tube ON results (tube_code, tested_at);

-- 打卡: site staff check-ins.
CREATE TABLE checkins (
    id          {{ID}},
    source      TEXT NOT NULL,
    external_id TEXT NOT NULL,
    site_id     {{BIGINT}} NOT NULL REFERENCES sites (id),
    kind        TEXT NOT NULL,                   -- open | close | status | staff_change
    staff       {{BLOB}},                        -- sealed, ad "checkins.staff"
    queue_len   INTEGER NOT NULL DEFAULT 0,
    lon_e6      {{BIGINT}},
    lat_e6      {{BIGINT}},
    at          {{BIGINT}} NOT NULL,
    operator    TEXT NOT NULL DEFAULT '',
    created_at  {{BIGINT}} NOT NULL,
    UNIQUE (source, external_id)
);
CREATE INDEX checkins_site ON checkins (site_id, at);

-- Transactional outbox: every accepted change writes its event here in the same
-- transaction; push/ delivers from it (SSE, webhooks). Payloads never hold personal data.
CREATE TABLE outbox (
    id          {{ID}},
    topic       TEXT NOT NULL,
    subdistrict TEXT NOT NULL DEFAULT '',        -- for scoped subscribers
    created_at  {{BIGINT}} NOT NULL,
    payload     TEXT NOT NULL
);

-- Counters (architecture §3: dashboards never scan raw records).
CREATE TABLE stat_scans (                        -- samples per plan x place x hour
    plan_id     {{BIGINT}} NOT NULL,             -- 0 = no plan
    subdistrict TEXT NOT NULL,
    community   TEXT NOT NULL,
    site_id     {{BIGINT}} NOT NULL,
    hour        {{BIGINT}} NOT NULL,             -- ms at the start of the UTC hour
    n           {{BIGINT}} NOT NULL,
    PRIMARY KEY (plan_id, subdistrict, community, site_id, hour)
);
CREATE TABLE stat_plan (                         -- planned vs actual per plan x subdistrict x industry
    plan_id            {{BIGINT}} NOT NULL,
    subdistrict        TEXT NOT NULL,
    industry           TEXT NOT NULL,            -- '' = all industries
    planned            {{BIGINT}} NOT NULL DEFAULT 0,
    actual_reported    {{BIGINT}} NOT NULL DEFAULT 0,
    actual_corrected   {{BIGINT}} NOT NULL DEFAULT 0,
    sampled            {{BIGINT}} NOT NULL DEFAULT 0,
    PRIMARY KEY (plan_id, subdistrict, industry)
);
CREATE TABLE stat_gauges (                       -- current values: transports in flight, sites open
    name        TEXT NOT NULL,
    subdistrict TEXT NOT NULL,
    value       {{BIGINT}} NOT NULL,
    PRIMARY KEY (name, subdistrict)
);

-- Webhook subscriptions (managed by sysadmin) and their delivery state.
CREATE TABLE webhooks (
    id          {{ID}},
    url         TEXT NOT NULL,
    topics      TEXT NOT NULL,                   -- comma-separated topics
    secret      {{BLOB}} NOT NULL,               -- sealed, ad "webhooks.secret"
    active      INTEGER NOT NULL DEFAULT 1,
    cursor      {{BIGINT}} NOT NULL DEFAULT 0,   -- last outbox id handled
    created_at  {{BIGINT}} NOT NULL,
    updated_at  {{BIGINT}} NOT NULL
);
CREATE TABLE webhook_deliveries (
    id          {{ID}},
    webhook_id  {{BIGINT}} NOT NULL REFERENCES webhooks (id),
    event_id    {{BIGINT}} NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    status      TEXT NOT NULL,                   -- pending | delivered | dead
    http_status INTEGER NOT NULL DEFAULT 0,
    next_at     {{BIGINT}} NOT NULL DEFAULT 0,
    updated_at  {{BIGINT}} NOT NULL,
    UNIQUE (webhook_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_at);

-- The outbox head: every transaction that appends events updates this row first, so on
-- PostgreSQL outbox ids become visible in commit order (a tailing reader never skips one).
CREATE TABLE outbox_head (
    id          INTEGER PRIMARY KEY,
    last_id     {{BIGINT}} NOT NULL
);
INSERT INTO outbox_head (id, last_id) VALUES (1, 0);
