-- 0009 (PostgreSQL) places, cameras, bindings and checks (issue 8: R3.1-R3.11). The
-- SQLite file holds the same tables; only the site anchor trigger differs.
-- Place ledger: every kind but testing sites has its own row here. A testing site is an
-- anchor row (kind 'site', site_id set, no data of its own): place_v reads its code, name,
-- position … from sites, so a site is never copied. The anchor is made by a trigger when
-- the site is inserted (below), and for the sites that exist now.
-- Positions are WGS-84 micro-degrees; cell is the spatial index grid key of geo/geo.h
-- (0.002-degree cells: ((lon_e6 + 180000000) / 2000) * 100000 + (lat_e6 + 90000000) / 2000).
-- Zones keep their polygon as GeoJSON text in geometry, its centroid in lon/lat and its
-- bounding box in the bbox columns (cameras inside a zone: box from the index, then the
-- polygon test). Addresses here are of public facilities (toilets, shelters, streets,
-- zones), not of persons, and stay searchable text; a site's address stays sealed in sites.
CREATE TABLE places (
    id            {{ID}},
    kind          TEXT NOT NULL,                 -- site | fangcang | zone | toilet | street | vaccination | other kinds by data
    site_id       {{BIGINT}} UNIQUE REFERENCES sites (id),
    code          TEXT NOT NULL DEFAULT '',
    name          TEXT NOT NULL DEFAULT '',
    subdistrict   TEXT REFERENCES divisions (code),
    community     TEXT REFERENCES divisions (code),
    address       TEXT NOT NULL DEFAULT '',
    lon_e6        {{BIGINT}},
    lat_e6        {{BIGINT}},
    cell          {{BIGINT}},
    geometry      TEXT,                          -- GeoJSON geometry of polygons (zones); NULL for points
    min_lon_e6    {{BIGINT}},
    min_lat_e6    {{BIGINT}},
    max_lon_e6    {{BIGINT}},
    max_lat_e6    {{BIGINT}},
    zone_level    TEXT,                          -- zones: fengkong | guankong | fangfan
    starts_at     {{BIGINT}} NOT NULL DEFAULT 0,
    ends_at       {{BIGINT}} NOT NULL DEFAULT 0, -- zones: lifted at (0 = in force)
    note          TEXT NOT NULL DEFAULT '',
    source        TEXT NOT NULL,
    external_id   TEXT NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1,
    created_at    {{BIGINT}} NOT NULL,
    updated_at    {{BIGINT}} NOT NULL,
    deleted_at    {{BIGINT}} NOT NULL DEFAULT 0,
    UNIQUE (source, external_id)
);
CREATE INDEX places_kind ON places (kind, id);
CREATE INDEX places_subdistrict ON places (subdistrict);
CREATE INDEX places_cell ON places (cell, lon_e6, lat_e6);
CREATE INDEX places_code ON places (code);
-- Sites answer the same grid query through an expression index.
CREATE INDEX sites_cell ON sites ((((lon_e6 + 180000000) / 2000) * 100000 + (lat_e6 + 90000000) / 2000));

-- Every version of a place (zones redrawn or lifted, toilets moved): the row as JSON.
CREATE TABLE place_history (
    id            {{ID}},
    place_id      {{BIGINT}} NOT NULL REFERENCES places (id),
    version       INTEGER NOT NULL,
    action        TEXT NOT NULL,                 -- create | update | delete
    actor         TEXT NOT NULL,
    changed_at    {{BIGINT}} NOT NULL,
    snapshot      TEXT NOT NULL
);
CREATE INDEX place_history_place ON place_history (place_id, version);

CREATE VIEW place_v AS
SELECT p.id, p.kind, p.code, p.name, p.subdistrict, p.community, p.address, p.lon_e6,
       p.lat_e6, p.cell, p.geometry, p.min_lon_e6, p.min_lat_e6, p.max_lon_e6, p.max_lat_e6,
       p.zone_level, p.starts_at, p.ends_at, p.note, p.source, p.external_id, p.version,
       p.created_at, p.updated_at, p.deleted_at, p.site_id
  FROM places p WHERE p.site_id IS NULL
UNION ALL
SELECT p.id, 'site', s.code, s.name, s.subdistrict, s.community, '', s.lon_e6, s.lat_e6,
       ((s.lon_e6 + 180000000) / 2000) * 100000 + (s.lat_e6 + 90000000) / 2000, NULL,
       s.lon_e6, s.lat_e6, s.lon_e6, s.lat_e6, NULL, 0, 0, '', s.source, s.external_id,
       s.version, s.created_at, s.updated_at, s.deleted_at, s.id
  FROM sites s JOIN places p ON p.site_id = s.id;

INSERT INTO places (kind, site_id, source, external_id, created_at, updated_at)
SELECT 'site', id, 'sites', CAST(id AS TEXT), created_at, created_at FROM sites;

-- Camera ledger. gb_id is the 20-digit GB/T 28181 device ID. The stream address (RTSP URL
-- with credentials) is sealed (ad "cameras.stream") and never leaves through list routes or
-- logs. direction: degrees clockwise from north, -1 unknown. subdistrict NULL: a
-- district-level camera, visible to district accounts only.
CREATE TABLE cameras (
    id            {{ID}},
    gb_id         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    lon_e6        {{BIGINT}},
    lat_e6        {{BIGINT}},
    cell          {{BIGINT}},
    direction     INTEGER NOT NULL DEFAULT -1,
    owner         TEXT NOT NULL DEFAULT '',
    status        TEXT NOT NULL DEFAULT 'unknown', -- online | offline | unknown
    last_seen_at  {{BIGINT}} NOT NULL DEFAULT 0,
    stream        {{BLOB}},
    subdistrict   TEXT REFERENCES divisions (code),
    source        TEXT NOT NULL,
    external_id   TEXT NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1,
    created_at    {{BIGINT}} NOT NULL,
    updated_at    {{BIGINT}} NOT NULL,
    deleted_at    {{BIGINT}} NOT NULL DEFAULT 0,
    UNIQUE (source, external_id)
);
CREATE INDEX cameras_cell ON cameras (cell, lon_e6, lat_e6, deleted_at);
CREATE INDEX cameras_subdistrict ON cameras (subdistrict);

-- A set of bindings made in one step (R3.9), undone together.
CREATE TABLE binding_batches (
    id            {{ID}},
    kind          TEXT NOT NULL,                 -- manual | reconcile | import
    ref           TEXT NOT NULL DEFAULT '',      -- e.g. the reconciliation id
    created_by    TEXT NOT NULL,
    created_at    {{BIGINT}} NOT NULL,
    undone_by     TEXT,
    undone_at     {{BIGINT}} NOT NULL DEFAULT 0
);

-- Which cameras watch which places (many-to-many), who bound them and when.
CREATE TABLE place_cameras (
    place_id      {{BIGINT}} NOT NULL REFERENCES places (id),
    camera_id     {{BIGINT}} NOT NULL REFERENCES cameras (id),
    bound_by      TEXT NOT NULL,
    bound_at      {{BIGINT}} NOT NULL,
    batch_id      {{BIGINT}} REFERENCES binding_batches (id),
    PRIMARY KEY (place_id, camera_id)
);
CREATE INDEX place_cameras_camera ON place_cameras (camera_id, place_id);
CREATE INDEX place_cameras_batch ON place_cameras (batch_id);

-- Camera checks (R3.11): position confirmed, what it covers, playable, who and when.
CREATE TABLE camera_checks (
    id            {{ID}},
    camera_id     {{BIGINT}} NOT NULL REFERENCES cameras (id),
    place_id      {{BIGINT}} REFERENCES places (id),
    position_ok   INTEGER NOT NULL,
    playable      INTEGER NOT NULL,
    covers        TEXT NOT NULL DEFAULT '',
    note          TEXT NOT NULL DEFAULT '',
    checked_by    TEXT NOT NULL,
    checked_at    {{BIGINT}} NOT NULL
);
CREATE INDEX camera_checks_camera ON camera_checks (camera_id, checked_at);

CREATE FUNCTION sites_place_anchor() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO places (kind, site_id, source, external_id, created_at, updated_at)
    VALUES ('site', NEW.id, 'sites', CAST(NEW.id AS TEXT), NEW.created_at, NEW.created_at);
    RETURN NEW;
END $$;
CREATE TRIGGER sites_place_anchor AFTER INSERT ON sites
FOR EACH ROW EXECUTE FUNCTION sites_place_anchor();
