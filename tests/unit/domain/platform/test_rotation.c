/* tests/unit/domain/platform/test_rotation.c - the data-key rotation job
 * (domain/platform/rotation.h; issue 12, S1 key management, S6), on SQLite and PostgreSQL.
 *
 * Users with a sealed real name and phone; one phone is damaged (a flipped ciphertext byte).
 * The job is stopped after one chunk of two rows, then a node that has not reloaded its keys
 * writes a row the job has passed under the OLD key; the resumed job needs a second pass
 * for it and finishes after a clean one begun once every node has loaded the new key. Every value then opens under key 2 with the text
 * written last; the damaged one is counted and left alone, so key 1 cannot be retired until
 * that row is dealt with; then it can, and nothing opens under key 1 any more. The KEK is a
 * real key file; the keys live in data_keys as in production.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "apptest.h"
#include "core/err.h"
#include "crypto/field.h"
#include "crypto/keyring.h"
#include "domain/platform/keystore.h"
#include "domain/platform/rotation.h"

#define NUSERS 5

/* seal_col writes plain, sealed under key k, into users.col of user id. */
static void
seal_col(struct apptest *at, const struct datakey *k, int64_t id, const char *col, const char *plain)
{
    uint8_t sealed[FIELD_SEALED_LEN(64)];
    char sql[96], ad[32];
    size_t n = 0;
    struct db_stmt *st = NULL;
    bool row = false;
    snprintf(ad, sizeof ad, "users.%s", col);
    assert_int_equal(field_seal_with(k, ad, plain, strlen(plain), sealed, sizeof sealed, &n), 0);
    snprintf(sql, sizeof sql, "UPDATE users SET %s = ?1 WHERE id = ?2", col);
    assert_int_equal(db_prepare(at->db, sql, &st), 0);
    assert_int_equal(db_bind_blob(st, 1, sealed, n), 0);
    assert_int_equal(db_bind_i64(st, 2, id), 0);
    assert_int_equal(db_step(st, &row), 0);
    db_done(st);
}

/* open_col opens users.col of user id into out; returns the envelope's key id (0 when the
 * value does not open). */
static uint32_t
open_col(struct apptest *at, int64_t id, const char *col, char *out, size_t cap)
{
    char sql[96], ad[32];
    struct db_stmt *st = NULL;
    bool row = false;
    size_t n = 0, len = 0;
    uint32_t key = 0;
    snprintf(sql, sizeof sql, "SELECT %s FROM users WHERE id = ?1", col);
    snprintf(ad, sizeof ad, "users.%s", col);
    assert_int_equal(db_prepare(at->db, sql, &st), 0);
    assert_int_equal(db_bind_i64(st, 1, id), 0);
    assert_int_equal(db_step(st, &row), 0);
    assert_true(row);
    const uint8_t *p = db_col_blob(st, 0, &n);
    if (field_envelope_parse(p, n, &key, NULL) || field_open(&at->app.keys, ad, p, n, (uint8_t *)out, cap, &len))
        key = 0;
    db_done(st);
    return key;
}

static void
test_rotate_resume_stale_writer_damaged(void **state)
{
    struct apptest *at = *state;
    char dir[] = "/tmp/jiayuan-rot-XXXXXX", path[64], got[80], want[80];
    struct kek kek;
    struct rotation_state st;
    struct rotation_opts o = { .chunk_rows = 2, .max_chunks = 1 };
    int64_t ids[NUSERS], in_use = -1;

    /* keys as production keeps them: in data_keys, under a key file */
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/kek", dir);
    assert_int_equal(keyring_kek_create(path), 0);
    assert_int_equal(keyring_kek_load(path, &kek), 0);
    keyring_wipe(&at->app.keys);
    assert_int_equal(keystore_load(at->db, &kek, &at->app.keys), 0);
    const struct datakey *k1 = keyring_find(&at->app.keys, 1);
    for (int i = 0; i < NUSERS; i++) {
        char name[16], v[32];
        snprintf(name, sizeof name, "rot%d", i);
        ids[i] = apptest_user(at, name, ROLE_DISTRICT, NULL, NULL, NULL);
        snprintf(v, sizeof v, "姓名%d", i);
        seal_col(at, k1, ids[i], "real_name", v);
        snprintf(v, sizeof v, "1390000000%d", i);
        seal_col(at, k1, ids[i], "phone", v);
    }
    /* the last user's phone is damaged: one ciphertext byte flipped */
    assert_int_equal(apptest_exec(at->db, apptest_dialect(at->db,
        "UPDATE users SET phone = substr(phone, 1, 25) || X'00' || substr(phone, 27) WHERE username = 'rot4'",
        "UPDATE users SET phone = overlay(phone placing '\\x00'::bytea from 26 for 1) WHERE username = 'rot4'")),
        0);

    /* 1. begin and stop after one chunk (users rows 1-2 of the admin + rot0 …) */
    assert_int_equal(rotation_begin(&at->app, at->db, path, &st), 0);
    assert_int_equal(st.to_key, 2);
    assert_int_equal(keyring_active(&at->app.keys)->id, 2);
    assert_int_equal(rotation_run(&at->app, at->db, &o, &st), 0);
    assert_true(st.stopped);
    assert_int_equal(apptest_i64(at->db, "SELECT rows_done FROM key_rotation_progress WHERE tbl = 'users'", 0), 2);
    assert_int_equal(rotation_retire(&at->app, at->db, &kek, 1, &in_use), ERR_BUSY);
    /* running begin again resumes the job: no third key */
    assert_int_equal(rotation_begin(&at->app, at->db, path, &st), 0);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM data_keys", 0), 2);

    /* 2. a node that has not reloaded writes rot0's phone (passed already) under key 1 */
    int64_t last = apptest_i64(at->db, "SELECT last_k1 FROM key_rotation_progress WHERE tbl = 'users'", 0);
    assert_true(last >= ids[0]);
    seal_col(at, k1, ids[0], "phone", "13911112222");

    /* 3. resume to the end: a second pass re-seals that value, a third finds nothing */
    o.max_chunks = 0;
    assert_int_equal(rotation_run(&at->app, at->db, &o, &st), 0);
    assert_false(st.stopped);
    assert_true(st.finished_at > 0);
    assert_true(st.pass >= 3); /* +1 when pass 3 began within the nodes' grace (rotation.h) */
    assert_int_equal(open_col(at, ids[0], "phone", got, sizeof got), 2);
    assert_string_equal(got, "13911112222");
    for (int i = 0; i < NUSERS; i++) {
        snprintf(want, sizeof want, "姓名%d", i);
        assert_int_equal(open_col(at, ids[i], "real_name", got, sizeof got), 2);
        assert_string_equal(got, want);
    }
    assert_int_equal(open_col(at, ids[4], "phone", got, sizeof got), 0); /* still damaged */
    assert_true(apptest_i64(at->db, "SELECT damaged FROM key_rotation_progress WHERE tbl = 'users'", 0) >= 1);
    assert_int_equal(apptest_count_audit(at->db, "keys.rotate.start", "data_key:2", NULL), 1);
    assert_int_equal(apptest_count_audit(at->db, "keys.rotate.finish", "data_key:2", NULL), 1);
    assert_int_equal(apptest_count_audit(at->db, "keys.rotate.table", "table:users", NULL), st.pass);

    /* 4. the damaged value still names key 1: retire refused until it is dealt with */
    assert_int_equal(rotation_retire(&at->app, at->db, &kek, 1, &in_use), ERR_CONFLICT);
    assert_int_equal(in_use, 1);
    assert_int_equal(apptest_exec(at->db, "UPDATE users SET phone = NULL WHERE username = 'rot4'"), 0);
    assert_int_equal(rotation_retire(&at->app, at->db, &kek, 2, &in_use), ERR_CONFLICT); /* active */
    assert_int_equal(rotation_retire(&at->app, at->db, &kek, 1, &in_use), 0);
    assert_int_equal(in_use, 0);
    assert_int_equal(apptest_count_audit(at->db, "keys.retire", "data_key:1", NULL), 1);
    assert_true(apptest_audit_intact(at) > 0);

    /* reloaded: key 1 opens nothing, the values under key 2 do */
    keyring_wipe(&at->app.keys);
    assert_int_equal(keystore_load(at->db, &kek, &at->app.keys), 0);
    assert_true(keyring_find(&at->app.keys, 1)->retired);
    assert_int_equal(open_col(at, ids[1], "real_name", got, sizeof got), 2);
    assert_true(apptest_audit_intact(at) > 0);
    kek_wipe(&kek);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(rmdir(dir), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        APPTEST(test_rotate_resume_stale_writer_damaged),
    };
    return apptest_run("domain_rotation", tests, sizeof tests / sizeof tests[0]);
}
