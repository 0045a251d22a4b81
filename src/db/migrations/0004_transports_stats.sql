-- 0004 transports, results and statistics (R2.5-R2.7): what 0003 lacked for them.
-- transports.subdistrict: the from-site's subdistrict when the transport was ingested. It
-- keys the "transports_in_flight" gauge, so an arrival decrements the same counter the
-- hand-over incremented even if the site moves later; lists filter and scope by it.
ALTER TABLE transports ADD COLUMN subdistrict TEXT NOT NULL DEFAULT '';
CREATE INDEX transports_subdistrict ON transports (subdistrict, id);
-- "Scans today" on the big screen reads stat_scans by hour across every plan and place;
-- the primary key starts with plan_id and cannot serve it.
CREATE INDEX stat_scans_hour ON stat_scans (hour);
