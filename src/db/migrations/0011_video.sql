-- 0011 live video (issue 9: R3.1-R3.6, R3.12).
-- The codec a camera sends, as the health probe or a running session last saw it
-- ("h264", "hevc", ...; '' unknown). The player says "H.265: snapshots only" from it.
ALTER TABLE cameras ADD COLUMN codec TEXT NOT NULL DEFAULT '';

-- The sites allowed to frame the embeddable player for play links an API token created
-- (R3.6): CSP frame-ancestors sources separated by one space, e.g.
-- "https://screen.example https://b.example". No row (or '') means 'none'.
CREATE TABLE video_embed_sites (
    token_id        {{BIGINT}} PRIMARY KEY REFERENCES api_tokens (id),
    frame_ancestors TEXT NOT NULL,
    updated_at      {{BIGINT}} NOT NULL
);
