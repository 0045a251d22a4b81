-- 0020 separation of duties and webhook SSRF (issue 12).

-- The delivery log keeps a coarse outcome of the last attempt (delivered | refused | failed)
-- instead of raw HTTP status codes and connect errors, which mapped the ports of any host the
-- server reaches. The old column stays (both drivers) but is no longer written or shown.
ALTER TABLE webhook_deliveries ADD COLUMN outcome TEXT NOT NULL DEFAULT '';
UPDATE webhook_deliveries SET outcome = CASE WHEN status = 'delivered' THEN 'delivered' ELSE 'failed' END,
    http_status = 0;

-- Ingest sources bound to their writer: the first token or account that writes with a
-- `source` owns it ("token:12", "user:3"); any other writer using it is refused, so its
-- idempotency keys cannot pre-claim the real source's records. The console (jiayuan
-- ingest-source) binds a source ahead of its first use, or moves it to another writer.
CREATE TABLE ingest_sources (
    source      TEXT PRIMARY KEY,
    owner       TEXT NOT NULL,
    created_at  {{BIGINT}} NOT NULL
);
