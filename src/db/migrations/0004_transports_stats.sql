-- 0004 transports, results and statistics (R2.5-R2.7): what 0003 lacked for them.
-- transports.subdistrict: the from-site's subdistrict when the transport was ingested. It
-- keys the "transports_in_flight" gauge, so an arrival decrements the same counter the
-- hand-over incremented even if the site moves later; lists filter and scope by it.
ALTER TABLE transports ADD COLUMN subdistrict TEXT NOT NULL DEFAULT '';
CREATE INDEX transports_subdistrict ON transports (subdistrict, id);
-- The scans_* statistics and "scans today" of GET /api/v1/stats/overview sum stat_scans
-- over an hour range across every plan and place; the primary key starts with plan_id and
-- cannot serve that. This index holds every column those statistics read, so a day (~7,200
-- counter rows at district scale: 300 sites x 24 h) is summed from the index alone, and a
-- whole plan ("?1 = 0 OR plan_id = ?1" with an open range) is one index-only pass instead
-- of a table scan with lookups (SQLite, 100k samples over 14 days: 3 ms instead of 60 ms).
CREATE INDEX stat_scans_hour ON stat_scans (hour, subdistrict, plan_id, site_id, community, n);
