-- 0016 health commission (卫健) data (issue 11: R2.13). Every personal field is SM4 ciphertext
-- (BLOB, crypto/field.h) with the column as associated data; lookups go by blind index and are
-- confirmed by opening. Place names, times and coordinates of visits are not sealed: they say
-- where, not who, and the map shows them.

-- 流调 records: a confirmed case, a close contact (密接) or a secondary contact (次密接).
CREATE TABLE health_epi (
    id           {{ID}},
    source       TEXT NOT NULL,
    external_id  TEXT NOT NULL,                  -- the commission's record number
    kind         TEXT NOT NULL,                  -- case | close_contact | secondary_contact
    case_ref     TEXT NOT NULL DEFAULT '',       -- the case a contact is linked to (record number)
    subdistrict  TEXT NOT NULL,
    reported_at  {{BIGINT}} NOT NULL,
    idno_bidx    {{BIGINT}},                     -- blind index "idno" of the normalised ID
    id_number    {{BLOB}},                       -- sealed, ad "health_epi.id_number"
    name         {{BLOB}} NOT NULL,              -- sealed, ad "health_epi.name"
    phone_bidx   {{BIGINT}},                     -- blind index "phone" of the digits
    phone        {{BLOB}},                       -- sealed, ad "health_epi.phone"
    address      {{BLOB}},                       -- sealed, ad "health_epi.address"
    created_by   TEXT NOT NULL,
    created_at   {{BIGINT}} NOT NULL,
    UNIQUE (source, external_id)
);
CREATE INDEX health_epi_idno ON health_epi (idno_bidx);
CREATE INDEX health_epi_phone ON health_epi (phone_bidx);
CREATE INDEX health_epi_sub ON health_epi (subdistrict, reported_at);

-- Places a record's person visited, in the order reported.
CREATE TABLE health_epi_places (
    epi_id       {{BIGINT}} NOT NULL REFERENCES health_epi (id),
    seq          INTEGER NOT NULL,
    name         TEXT NOT NULL,
    lon_e6       {{BIGINT}},                     -- WGS-84 micro-degrees, NULL when unknown
    lat_e6       {{BIGINT}},
    from_at      {{BIGINT}} NOT NULL,
    to_at        {{BIGINT}} NOT NULL DEFAULT 0,  -- 0 = not reported
    PRIMARY KEY (epi_id, seq)
);

-- Doctors the commission lends to testing sites (site staffing).
CREATE TABLE health_doctors (
    id           {{ID}},
    source       TEXT NOT NULL,
    external_id  TEXT NOT NULL,
    name         {{BLOB}} NOT NULL,              -- sealed, ad "health_doctors.name"
    phone        {{BLOB}},                       -- sealed, ad "health_doctors.phone"
    institution  TEXT NOT NULL,
    title        TEXT NOT NULL DEFAULT '',       -- 职称
    subdistrict  TEXT NOT NULL,
    site_code    TEXT NOT NULL DEFAULT '',       -- the site staffed, '' = unassigned
    created_at   {{BIGINT}} NOT NULL,
    UNIQUE (source, external_id)
);
CREATE INDEX health_doctors_sub ON health_doctors (subdistrict, id);
