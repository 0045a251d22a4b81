-- 0022: searching the health commission's doctors (issue 11, R2.13; S1): blind indexes of the
-- name and the phone (crypto/field.h, domains "health_doctors.name" and "phone"), so an officer
-- finds a doctor by either without the plaintext in the database. Rows stored before 0022 have
-- NULL here and are found by subdistrict / site only until the feed sends them again.
ALTER TABLE health_doctors ADD COLUMN name_bidx {{BIGINT}};
ALTER TABLE health_doctors ADD COLUMN phone_bidx {{BIGINT}};
CREATE INDEX health_doctors_name_bidx ON health_doctors (name_bidx);
CREATE INDEX health_doctors_phone_bidx ON health_doctors (phone_bidx);
