-- 0004 transports, results and statistics (R2.5-R2.7): what 0003 lacked for them.
-- transports.subdistrict: the from-site's subdistrict when the transport was ingested. It
-- keys the "transports_in_flight" gauge, so an arrival decrements the same counter the
-- hand-over incremented even if the site moves later; lists filter and scope by it.
ALTER TABLE transports ADD COLUMN subdistrict TEXT NOT NULL DEFAULT '';
CREATE INDEX transports_subdistrict ON transports (subdistrict, id);
-- "Scans today" on the big screen (GET /api/v1/stats/overview, the scans_* statistics)
-- sums stat_scans over an hour range across every plan and place; the primary key starts
-- with plan_id and cannot serve it. Covering (subdistrict for the scope filter, n for the
-- sum): at district scale a day is ~7,000 counter rows, summed from the index alone.
CREATE INDEX stat_scans_hour ON stat_scans (hour, subdistrict, n);
