-- 0019 user profile and sign-in facts (issue 14: the new-user dialog, the users list of the
-- system and security administrators). The real name and the phone are personal data: SM4
-- ciphertext (crypto/field.h) with the column as associated data; the real name has a blind
-- index (domain "user.real_name", the trimmed name) so the list can find an account by it.
-- The phone is shown masked only. last_login_at is set by a successful login (0 = never).
ALTER TABLE users ADD COLUMN real_name {{BLOB}};          -- sealed, ad "users.real_name"
ALTER TABLE users ADD COLUMN real_name_bidx {{BIGINT}};   -- blind index "user.real_name"
ALTER TABLE users ADD COLUMN phone {{BLOB}};              -- sealed, ad "users.phone"
ALTER TABLE users ADD COLUMN organisation TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN last_login_at {{BIGINT}} NOT NULL DEFAULT 0;
CREATE INDEX users_real_name ON users (real_name_bidx);
