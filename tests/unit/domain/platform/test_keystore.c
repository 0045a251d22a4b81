/* tests/unit/domain/platform/test_keystore.c - data keys stored wrapped in the database
 * (domain/platform/keystore.h, S1 key management), on SQLite and PostgreSQL.
 *
 * The KEK is a real key file written by keyring_kek_create in a temporary folder.
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
#include "crypto/sm.h"
#include "domain/platform/audit.h"
#include "domain/platform/keystore.h"

/* make_kek writes a new KEK file in a fresh temporary folder, loads it, removes both. */
static void
make_kek(struct kek *out)
{
    char dir[] = "/tmp/jiayuan-kek-XXXXXX";
    char path[64];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/kek", dir);
    assert_int_equal(keyring_kek_create(path), 0);
    assert_int_equal(keyring_kek_load(path, out), 0);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(rmdir(dir), 0);
}

static int64_t
key_rows(struct db *db)
{
    return apptest_i64(db, "SELECT count(*) FROM data_keys", 0);
}

static bool
all_zero(const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return false;
    return true;
}

static void
test_first_load_creates_one_key(void **state)
{
    struct apptest *at = *state;
    struct kek kek;
    struct keyring kr;
    size_t n = 0;
    struct db_stmt *st = NULL;
    bool row = false;

    make_kek(&kek);
    assert_int_equal(key_rows(at->db), 0);
    assert_int_equal(keystore_load(at->db, &kek, &kr), 0);
    assert_int_equal(kr.n, 1);
    assert_int_equal(kr.active, 1);
    assert_non_null(keyring_active(&kr));
    assert_int_equal(keyring_active(&kr)->id, 1);
    assert_int_equal(key_rows(at->db), 1);
    assert_int_equal(apptest_i64(at->db, "SELECT active FROM data_keys WHERE id = 1", 0), 1);
    assert_int_equal(db_prepare(at->db, "SELECT wrapped FROM data_keys WHERE id = 1", &st), 0);
    assert_int_equal(db_step(st, &row), 0);
    assert_true(row);
    const uint8_t *w = db_col_blob(st, 0, &n);
    assert_int_equal(n, FIELD_SEALED_LEN(DATA_KEY_LEN));
    /* the derived subkeys are nowhere in the stored row */
    assert_false(apptest_memmem(w, n, kr.keys[0].audit, 16));
    assert_false(apptest_memmem(w, n, kr.keys[0].field_enc, 16));
    db_done(st);
    keyring_wipe(&kr);
    kek_wipe(&kek);
}

static void
test_second_load_same_keys(void **state)
{
    struct apptest *at = *state;
    struct kek kek;
    struct keyring a, b;
    uint8_t sealed[FIELD_SEALED_LEN(32)], plain[64];
    size_t sn = 0, pn = 0;
    static const char secret[] = "110101199003077777";

    make_kek(&kek);
    assert_int_equal(keystore_load(at->db, &kek, &a), 0);
    assert_int_equal(field_seal(&a, "sample.id_number", secret, strlen(secret), sealed, sizeof sealed, &sn), 0);
    assert_int_equal(audit_record(at->db, &a, &at->admin, "test.before", NULL, "ok", NULL), 0);

    assert_int_equal(keystore_load(at->db, &kek, &b), 0);
    assert_int_equal(key_rows(at->db), 1); /* no second key made */
    assert_int_equal(b.n, 1);
    assert_int_equal(b.active, a.active);
    assert_memory_equal(&a.keys[0], &b.keys[0], sizeof a.keys[0]);
    assert_int_equal(field_open(&b, "sample.id_number", sealed, sn, plain, sizeof plain, &pn), 0);
    assert_int_equal(pn, strlen(secret));
    assert_memory_equal(plain, secret, pn);
    assert_int_equal(blind_index(&a, "id", "x", 1), blind_index(&b, "id", "x", 1));

    /* the audit chain written with the first load verifies with the second */
    int64_t checked = 0, broken = -1;
    assert_int_equal(audit_verify(at->db, &b, &checked, &broken), 0);
    assert_int_equal(checked, 1);
    assert_int_equal(broken, 0);
    keyring_wipe(&a);
    keyring_wipe(&b);
    kek_wipe(&kek);
}

static void
test_wrong_kek(void **state)
{
    struct apptest *at = *state;
    struct kek kek, other;
    struct keyring kr;

    make_kek(&kek);
    make_kek(&other);
    assert_int_equal(keystore_load(at->db, &kek, &kr), 0);
    keyring_wipe(&kr);
    memset(&kr, 0x33, sizeof kr);
    assert_int_equal(keystore_load(at->db, &other, &kr), ERR_CRYPTO);
    assert_int_equal(kr.n, 0);
    assert_true(all_zero(kr.keys, sizeof kr.keys)); /* nothing half-loaded is left */
    assert_int_equal(key_rows(at->db), 1);          /* and no key was added */
    /* the right KEK still works */
    assert_int_equal(keystore_load(at->db, &kek, &kr), 0);
    keyring_wipe(&kr);
    kek_wipe(&kek);
    kek_wipe(&other);
}

/* A wrapped key moved to another id, or altered, does not open. */
static void
test_tampered_rows(void **state)
{
    struct apptest *at = *state;
    struct kek kek;
    struct keyring kr;

    make_kek(&kek);
    assert_int_equal(keystore_load(at->db, &kek, &kr), 0);
    keyring_wipe(&kr);
    assert_int_equal(db_exec(at->db, "UPDATE data_keys SET id = 2"), 0);
    assert_int_equal(keystore_load(at->db, &kek, &kr), ERR_CRYPTO);
    assert_int_equal(db_exec(at->db, "UPDATE data_keys SET id = 1"), 0);
    assert_int_equal(keystore_load(at->db, &kek, &kr), 0);
    keyring_wipe(&kr);
    assert_int_equal(db_exec(at->db, apptest_dialect(at->db, "UPDATE data_keys SET wrapped = x'0102'",
                                                     "UPDATE data_keys SET wrapped = '\\x0102'::bytea")),
                     0);
    assert_int_equal(keystore_load(at->db, &kek, &kr), ERR_CRYPTO);
    kek_wipe(&kek);
}

/* Several keys: all are loaded, the one marked active is active. */
static void
test_several_keys(void **state)
{
    struct apptest *at = *state;
    struct kek kek;
    struct keyring kr, ref = { 0 };
    uint8_t raw[DATA_KEY_LEN], w[FIELD_SEALED_LEN(DATA_KEY_LEN)];
    size_t wn = 0;
    struct db_stmt *st = NULL;
    bool row = false;

    make_kek(&kek);
    assert_int_equal(keystore_load(at->db, &kek, &kr), 0);
    keyring_wipe(&kr);
    assert_int_equal(crypto_random(raw, sizeof raw), 0);
    assert_int_equal(keyring_wrap(&kek, 2, raw, w, sizeof w, &wn), 0);
    assert_int_equal(db_exec(at->db, "UPDATE data_keys SET active = 0"), 0);
    assert_int_equal(db_prepare(at->db, "INSERT INTO data_keys (id, wrapped, created_at, active) VALUES (2, ?1, 0, 1)", &st), 0);
    assert_int_equal(db_bind_blob(st, 1, w, wn), 0);
    assert_int_equal(db_step(st, &row), 0);
    db_done(st);

    assert_int_equal(keystore_load(at->db, &kek, &kr), 0);
    assert_int_equal(kr.n, 2);
    assert_int_equal(kr.active, 2);
    assert_non_null(keyring_find(&kr, 1));
    assert_int_equal(keyring_add(&ref, 2, raw), 0);
    assert_memory_equal(keyring_find(&kr, 2), keyring_find(&ref, 2), sizeof(struct datakey));

    /* the older key, marked active again, becomes active */
    keyring_wipe(&kr);
    assert_int_equal(db_exec(at->db, "UPDATE data_keys SET active = CASE WHEN id = 1 THEN 1 ELSE 0 END"), 0);
    assert_int_equal(keystore_load(at->db, &kek, &kr), 0);
    assert_int_equal(kr.active, 1);
    keyring_wipe(&kr);
    keyring_wipe(&ref);
    kek_wipe(&kek);
}

/* Key rotation (issue 12): a new generation becomes active; another process's keyring
 * picks it up with keystore_refresh (reading the KEK file only then); the old key, once
 * retired, opens nothing more while the blind index and the audit key stay the same. */
static void
test_generation_refresh_retire(void **state)
{
    struct apptest *at = *state;
    char dir[] = "/tmp/jiayuan-kek-XXXXXX", path[64];
    struct kek kek;
    struct keyring kr, other;
    uint8_t sealed[FIELD_SEALED_LEN(18)], plain[19], audit1[SM3_LEN];
    size_t n = 0, len = 0;
    uint32_t id = 0;
    bool changed = true;

    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/kek", dir);
    assert_int_equal(keyring_kek_create(path), 0);
    assert_int_equal(keyring_kek_load(path, &kek), 0);
    assert_int_equal(keystore_load(at->db, &kek, &kr), 0);
    assert_int_equal(keystore_load(at->db, &kek, &other), 0);
    /* nothing new: the key file is not even read */
    assert_int_equal(keystore_refresh(at->db, "/nonexistent/kek", &other, &changed), 0);
    assert_false(changed);
    assert_int_equal(field_seal(&kr, "t.c", "110105198506121070", 18, sealed, sizeof sealed, &n), 0);
    int64_t bidx = blind_index(&kr, "idno", "110105198506121070", 18);
    memcpy(audit1, keyring_find(&kr, 1)->audit, SM3_LEN);

    assert_int_equal(db_begin(at->db), 0);
    assert_int_equal(keystore_add_generation(at->db, &kek, &id), 0);
    assert_int_equal(db_commit(at->db), 0);
    assert_int_equal(id, 2);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM data_keys WHERE active <> 0", 0), 1);
    assert_int_equal(keystore_refresh(at->db, path, &other, &changed), 0);
    assert_true(changed);
    assert_int_equal(keyring_active(&other)->id, 2);
    assert_int_equal(field_open(&other, "t.c", sealed, n, plain, sizeof plain, &len), 0);
    assert_int_equal(keystore_refresh(at->db, path, &kr, &changed), 0);

    assert_int_equal(keystore_retire(at->db, &kek, &kr, 2), ERR_CONFLICT); /* active */
    assert_int_equal(keystore_retire(at->db, &kek, &kr, 9), ERR_NOT_FOUND);
    assert_int_equal(keystore_retire(at->db, &kek, &kr, 1), 0);
    keyring_wipe(&kr);
    assert_int_equal(keystore_load(at->db, &kek, &kr), 0);
    assert_int_equal(kr.n, 2);
    assert_true(keyring_find(&kr, 1)->retired);
    assert_true(all_zero(keyring_find(&kr, 1)->field_enc, SM4_KEY_LEN));
    assert_int_equal(keyring_active(&kr)->id, 2);
    assert_int_equal(field_open(&kr, "t.c", sealed, n, plain, sizeof plain, &len), ERR_CRYPTO);
    assert_true(blind_index(&kr, "idno", "110105198506121070", 18) == bidx);
    assert_memory_equal(keyring_find(&kr, 1)->audit, audit1, SM3_LEN);
    assert_int_equal(keystore_retire(at->db, &kek, &kr, 1), ERR_CONFLICT); /* retired already */
    assert_int_equal(keyring_set_active(&kr, 1), ERR_CONFLICT);
    keyring_wipe(&kr);
    keyring_wipe(&other);
    kek_wipe(&kek);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(rmdir(dir), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        APPTEST(test_first_load_creates_one_key),
        APPTEST(test_second_load_same_keys),
        APPTEST(test_wrong_kek),
        APPTEST(test_tampered_rows),
        APPTEST(test_several_keys),
        APPTEST(test_generation_refresh_retire),
    };
    return apptest_run("domain_keystore", tests, sizeof tests / sizeof tests[0]);
}
