-- 0001 foundation: keys, reference data, accounts, sessions, API tokens, audit (R1.7, S1, S6).
-- Portable SQL; {{ID}}, {{BLOB}}, {{BIGINT}} are replaced per dialect by db_migrate.

CREATE TABLE data_keys (
    id          {{BIGINT}} PRIMARY KEY,
    wrapped     {{BLOB}} NOT NULL,
    created_at  {{BIGINT}} NOT NULL,
    active      INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE settings (
    key         TEXT PRIMARY KEY,
    value       TEXT NOT NULL
);

-- GB/T 2260 divisions: level 1 district (6 digits), 2 subdistrict (9), 3 community (12).
CREATE TABLE divisions (
    code        TEXT PRIMARY KEY,
    level       INTEGER NOT NULL,
    parent      TEXT,
    name        TEXT NOT NULL
);
CREATE INDEX divisions_parent ON divisions (parent);

CREATE TABLE industries (
    code        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    name_en     TEXT NOT NULL DEFAULT ''
);

CREATE TABLE users (
    id                  {{ID}},
    username            TEXT NOT NULL UNIQUE,
    role                TEXT NOT NULL,
    subdistrict         TEXT REFERENCES divisions (code),
    password_hash       TEXT NOT NULL,
    password_changed_at {{BIGINT}} NOT NULL,
    must_change         INTEGER NOT NULL DEFAULT 0,
    totp_secret         {{BLOB}},
    totp_enabled        INTEGER NOT NULL DEFAULT 0,
    totp_last_step      {{BIGINT}} NOT NULL DEFAULT 0,
    failed_count        INTEGER NOT NULL DEFAULT 0,
    locked_until        {{BIGINT}} NOT NULL DEFAULT 0,
    disabled            INTEGER NOT NULL DEFAULT 0,
    created_at          {{BIGINT}} NOT NULL,
    updated_at          {{BIGINT}} NOT NULL
);

-- Sessions: only an HMAC of the cookie token is stored.
CREATE TABLE sessions (
    id           {{ID}},
    token_hash   {{BLOB}} NOT NULL UNIQUE,
    user_id      {{BIGINT}} NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token   TEXT NOT NULL,
    created_at   {{BIGINT}} NOT NULL,
    last_seen_at {{BIGINT}} NOT NULL,
    ip           TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id           {{ID}},
    name         TEXT NOT NULL,
    token_hash   {{BLOB}} NOT NULL UNIQUE,
    scopes       TEXT NOT NULL,
    subdistrict  TEXT REFERENCES divisions (code),
    created_at   {{BIGINT}} NOT NULL,
    revoked_at   {{BIGINT}} NOT NULL DEFAULT 0,
    last_used_at {{BIGINT}} NOT NULL DEFAULT 0
);

-- Append-only audit log, hash-chained: mac = HMAC-SM3(audit key, prev mac | fields).
CREATE TABLE audit_log (
    id          {{ID}},
    ts          {{BIGINT}} NOT NULL,
    actor       TEXT NOT NULL,
    role        TEXT NOT NULL,
    ip          TEXT NOT NULL,
    action      TEXT NOT NULL,
    target      TEXT NOT NULL,
    result      TEXT NOT NULL,
    request_id  TEXT NOT NULL,
    detail      TEXT NOT NULL DEFAULT '',
    key_id      {{BIGINT}} NOT NULL,
    mac         {{BLOB}} NOT NULL
);
CREATE INDEX audit_log_ts ON audit_log (ts);
CREATE INDEX audit_log_actor ON audit_log (actor, id);
CREATE INDEX audit_log_action ON audit_log (action, id);

-- The chain head: one row, updated in the same transaction as each append, so appends
-- from several processes serialise on it.
CREATE TABLE audit_head (
    id          INTEGER PRIMARY KEY,
    last_id     {{BIGINT}} NOT NULL,
    mac         {{BLOB}} NOT NULL
);
