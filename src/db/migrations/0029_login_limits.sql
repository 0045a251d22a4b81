-- 0029: login limits shared by every node and kept across restarts (issue 12 S6, issue 13;
-- domain/account/login_rate.h). One row per limited key: an HMAC of the client address or of
-- the case-folded account name (never the text itself). The check reads at most two rows by
-- primary key; last_failure lets the purge find rows idle past the forget window.
CREATE TABLE login_limits (
    key           {{BLOB}} PRIMARY KEY,
    failures      {{BIGINT}} NOT NULL,
    blocked_until {{BIGINT}} NOT NULL DEFAULT 0,
    last_failure  {{BIGINT}} NOT NULL
);
CREATE INDEX login_limits_last ON login_limits (last_failure);
