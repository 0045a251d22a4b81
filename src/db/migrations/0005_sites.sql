-- 0005 sites (R1.1, R1.2, R2.1): the site detail page and the map read today's scans of
-- one site from stat_scans, whose primary key starts with plan_id; this index serves
-- "site_id = ? AND hour >= ?" without scanning the counter table.
CREATE INDEX stat_scans_site_hour ON stat_scans (site_id, hour);
