/* tests/unit/domain/platform/test_rotation.c - the data-key rotation job
 * (domain/platform/rotation.h; issue 12, S1 key management, S6), on SQLite and PostgreSQL.
 *
 * Users with a sealed real name and phone; one phone is damaged (a flipped ciphertext byte).
 * The job is stopped after one chunk of two rows, then a node that has not reloaded its keys
 * writes a row the job has passed under the OLD key; the resumed job needs a second pass
 * for it and finishes after a clean one begun once every node has loaded the new key. Every value then opens under key 2 with the text
 * written last; the damaged one is counted and left alone, so key 1 cannot be retired until
 * that row is dealt with; then it can, and nothing opens under key 1 any more. The KEK is a
 * real key file; the keys live in data_keys as in production. Test results' row MACs follow
 * the key (rotation_opts.remac with result_mac_rekey): the good ones end under key 2 and
 * still verify after key 1 is retired; a forged one stays under key 1 (damaged) and holds
 * the retirement back like the damaged phone.
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
#include "domain/testing/result.h"

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

/* add_result stores a result with its mac under the active key (as ingest does). */
static int64_t
add_result(struct apptest *at, const char *ext, const char *value)
{
    struct result r = { .source = "lab", .external_id = ext, .tube_code = "T1", .institution = "lab",
                        .result = value, .tested_at = 1000 };
    uint8_t mac[SM3_LEN];
    uint32_t key = 0;
    struct db_stmt *st = NULL;
    bool row = false;
    assert_int_equal(result_mac_sign(&at->app.keys, &r, mac, &key), 0);
    assert_int_equal(db_prepare(at->db,
                                "INSERT INTO results (source, external_id, tube_code, institution, tested_at, result,"
                                " created_at, mac, mac_key) VALUES ('lab', ?1, 'T1', 'lab', 1000, ?2, 1, ?3, ?4)",
                                &st),
                     0);
    assert_int_equal(db_bind_text(st, 1, ext, strlen(ext)), 0);
    assert_int_equal(db_bind_text(st, 2, value, strlen(value)), 0);
    assert_int_equal(db_bind_blob(st, 3, mac, SM3_LEN), 0);
    assert_int_equal(db_bind_i64(st, 4, key), 0);
    assert_int_equal(db_step(st, &row), 0);
    db_done(st);
    return apptest_i64_text(at->db, "SELECT id FROM results WHERE external_id = ?1", ext);
}

/* result_ok: result id reads back with a valid mac. */
static bool
result_ok(struct apptest *at, int64_t id)
{
    struct arena arena = ARENA_INIT;
    struct result r;
    int rc = result_get(&at->app.keys, at->db, id, &arena, &r);
    arena_release(&arena);
    return rc == 0;
}

static int
remac_results(struct app *app, struct db *db, uint32_t to_key, size_t limit, int64_t *after, size_t *scanned)
{
    return result_mac_rekey(&app->keys, db, to_key, limit, after, scanned);
}

static void
test_rotate_resume_stale_writer_damaged(void **state)
{
    struct apptest *at = *state;
    char dir[] = "/tmp/jiayuan-rot-XXXXXX", path[64], got[80], want[80];
    struct kek kek;
    struct rotation_state st;
    struct rotation_opts o = { .chunk_rows = 2, .max_chunks = 1, .remac = remac_results };
    int64_t ids[NUSERS], in_use = -1, res[3];

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

    /* results under key 1; the third forged afterwards (negative -> positive) */
    res[0] = add_result(at, "r0", "negative");
    res[1] = add_result(at, "r1", "positive");
    res[2] = add_result(at, "r2", "negative");
    assert_int_equal(apptest_exec(at->db, "UPDATE results SET result = 'positive' WHERE external_id = 'r2'"), 0);
    assert_true(result_ok(at, res[0]));
    assert_false(result_ok(at, res[2]));

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
        uint32_t key = open_col(at, ids[i], "real_name", got, sizeof got);
        if (key != 2) /* seen once under load (CI, SQLite): say which row and how far the job went */
            print_error("rot%d real_name under key %u; passes %d, users resealed %lld, rows %lld\n", i,
                        (unsigned)key, st.pass,
                        (long long)apptest_i64(at->db, "SELECT resealed FROM key_rotation_progress WHERE tbl = 'users'", 0),
                        (long long)apptest_i64(at->db, "SELECT rows_done FROM key_rotation_progress WHERE tbl = 'users'", 0));
        assert_int_equal(key, 2);
        assert_string_equal(got, want);
    }
    assert_int_equal(open_col(at, ids[4], "phone", got, sizeof got), 0); /* still damaged */
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM results WHERE mac_key = 2", 0), 2);
    assert_int_equal(apptest_i64(at->db, "SELECT mac_key FROM results WHERE id = ?1", res[2]), 1); /* forged */
    assert_true(apptest_i64(at->db, "SELECT damaged FROM key_rotation_progress WHERE tbl = 'users'", 0) >= 1);
    assert_int_equal(apptest_count_audit(at->db, "keys.rotate.start", "data_key:2", NULL), 1);
    assert_int_equal(apptest_count_audit(at->db, "keys.rotate.finish", "data_key:2", NULL), 1);
    assert_int_equal(apptest_count_audit(at->db, "keys.rotate.table", "table:users", NULL), st.pass);

    /* 4. the damaged value still names key 1: retire refused until it is dealt with */
    assert_int_equal(rotation_retire(&at->app, at->db, &kek, 1, &in_use), ERR_CONFLICT);
    assert_int_equal(in_use, 2); /* the phone and the forged result */
    assert_int_equal(apptest_exec(at->db, "UPDATE users SET phone = NULL WHERE username = 'rot4'"), 0);
    assert_int_equal(rotation_retire(&at->app, at->db, &kek, 1, &in_use), ERR_CONFLICT);
    assert_int_equal(in_use, 1);
    assert_int_equal(apptest_exec(at->db, "DELETE FROM results WHERE external_id = 'r2'"), 0);
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
    assert_true(result_ok(at, res[0]));
    assert_true(result_ok(at, res[1]));
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
