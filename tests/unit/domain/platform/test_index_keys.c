/* tests/unit/domain/platform/test_index_keys.c - blind-index key generations (issue 12, S1
 * key management; table index_keys, domain/platform/keystore.h, crypto/keys.h struct
 * indexkey), on SQLite and PostgreSQL.
 *
 * Generation 0 is the oldest data key's blind subkey: blind_index gives the same values as
 * before index_keys existed, also after a data-key rotation. A new generation is a key of its
 * own, wrapped under the KEK (never in the clear in its row, never opening as a data key);
 * another process picks it up with keystore_refresh, and the switch moves blind_index to it
 * while every generation stays computable (the auditor's "who looked up this person").
 * The KEK is a real key file.
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
#include "core/alloc.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/time.h"
#include "domain/batch/lookup_audit.h"
#include "domain/platform/keystore.h"
#include "domain/testing/person.h"

#define IDNO "11010519850612107X"

struct kekfile {
    char dir[32];
    char path[64];
    struct kek kek;
};

static void
kek_make(struct kekfile *f)
{
    snprintf(f->dir, sizeof f->dir, "/tmp/jiayuan-kek-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/kek", f->dir);
    assert_int_equal(keyring_kek_create(f->path), 0);
    assert_int_equal(keyring_kek_load(f->path, &f->kek), 0);
}

static void
kek_drop(struct kekfile *f)
{
    kek_wipe(&f->kek);
    assert_int_equal(unlink(f->path), 0);
    assert_int_equal(rmdir(f->dir), 0);
}

static int64_t
idx_with(const struct datakey *k, const char *domain, const char *v)
{
    int64_t out = 0;
    assert_int_equal(blind_index_with(k, domain, v, strlen(v), &out), 0);
    return out;
}

/* Generation 0: the index a bare data key gives, unchanged by a data-key rotation. */
static void
test_generation_zero_is_oldest_blind(void **state)
{
    struct apptest *at = *state;
    struct kekfile f;
    struct keyring kr;
    uint32_t id = 0;
    bool changed = false;

    kek_make(&f);
    assert_int_equal(keystore_load(at->db, &f.kek, &kr), 0);
    assert_int_equal(kr.nidx, 1);
    assert_non_null(keyring_index_current(&kr));
    assert_int_equal(keyring_index_current(&kr)->gen, 0);
    assert_int_equal(keyring_index_current(&kr)->slot, 0);
    assert_memory_equal(keyring_index_current(&kr)->blind, kr.keys[0].blind, SM3_LEN);
    int64_t before = blind_index(&kr, "idno", IDNO, 18);
    assert_true(before == idx_with(&kr.keys[0], "idno", IDNO));
    assert_true(before != 0);

    assert_int_equal(db_begin(at->db), 0);
    assert_int_equal(keystore_add_generation(at->db, &f.kek, &id), 0);
    assert_int_equal(db_commit(at->db), 0);
    assert_int_equal(keystore_refresh(at->db, f.path, &kr, &changed), 0);
    assert_true(changed);
    assert_int_equal(keyring_active(&kr)->id, 2);
    assert_true(blind_index(&kr, "idno", IDNO, 18) == before); /* data keys move, the index does not */
    /* a ring without index generations (built by hand) still uses keys[0] */
    struct keyring bare = { 0 };
    uint8_t raw[DATA_KEY_LEN] = { 7 };
    assert_int_equal(keyring_add(&bare, 1, raw), 0);
    int64_t v = 0;
    assert_int_equal(blind_index_current(&bare, "idno", IDNO, 18, &v), 0);
    assert_true(v == idx_with(&bare.keys[0], "idno", IDNO));
    assert_int_equal(blind_index_gen(&bare, 1, "idno", IDNO, 18, &v), ERR_NOT_FOUND);
    keyring_wipe(&bare);
    keyring_wipe(&kr);
    kek_drop(&f);
}

/* A new generation: wrapped under the KEK in the other slot, 'next' until switched; one at a
 * time; picked up by another process; the switch moves blind_index to it. */
static void
test_add_refresh_switch(void **state)
{
    struct apptest *at = *state;
    struct kekfile f;
    struct keyring kr, other;
    uint32_t gen = 0, again = 0;
    bool changed = true;
    size_t n = 0;
    struct db_stmt *st = NULL;
    bool row = false;

    kek_make(&f);
    assert_int_equal(keystore_load(at->db, &f.kek, &kr), 0);
    assert_int_equal(keystore_load(at->db, &f.kek, &other), 0);
    int64_t g0 = blind_index(&kr, "idno", IDNO, 18);

    assert_int_equal(db_begin(at->db), 0);
    assert_int_equal(keystore_index_add(at->db, &f.kek, &gen), 0);
    assert_int_equal(db_commit(at->db), 0);
    assert_int_equal(gen, 1);
    assert_int_equal(apptest_i64(at->db, "SELECT slot FROM index_keys WHERE gen = 1", -1), 1);
    assert_int_equal(keystore_index_add(at->db, &f.kek, &again), ERR_CONFLICT); /* one rotation at a time */

    assert_int_equal(keystore_refresh(at->db, f.path, &other, &changed), 0);
    assert_true(changed);
    assert_int_equal(other.nidx, 2);
    const struct indexkey *g1 = keyring_index_find(&other, 1);
    assert_non_null(g1);
    assert_int_equal(g1->slot, 1);
    assert_memory_not_equal(g1->blind, other.keys[0].blind, SM3_LEN);
    assert_true(blind_index(&other, "idno", IDNO, 18) == g0); /* 'next' is not used for lookups yet */
    int64_t v1 = 0, v0 = 0;
    assert_int_equal(blind_index_gen(&other, 1, "idno", IDNO, 18, &v1), 0);
    assert_int_equal(blind_index_gen(&other, 0, "idno", IDNO, 18, &v0), 0);
    assert_true(v0 == g0);
    assert_true(v1 != g0);

    /* the stored row holds the key only wrapped; it does not open as a data key */
    assert_int_equal(db_prepare(at->db, "SELECT wrapped FROM index_keys WHERE gen = 1", &st), 0);
    assert_int_equal(db_step(st, &row), 0);
    assert_true(row);
    const uint8_t *w = db_col_blob(st, 0, &n);
    assert_int_equal(n, FIELD_SEALED_LEN(DATA_KEY_LEN));
    assert_false(apptest_memmem(w, n, g1->blind, 16));
    uint8_t raw[DATA_KEY_LEN], blind[SM3_LEN];
    assert_int_equal(keyring_unwrap(&f.kek, 1, w, n, raw), ERR_CRYPTO);
    assert_int_equal(keyring_unwrap_index(&f.kek, 1, w, n, blind), 0);
    assert_memory_equal(blind, g1->blind, SM3_LEN);
    db_done(st);

    assert_int_equal(db_begin(at->db), 0);
    assert_int_equal(keystore_index_switch(at->db, 7), ERR_NOT_FOUND);
    assert_int_equal(keystore_index_switch(at->db, 1), 0);
    assert_int_equal(db_commit(at->db), 0);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM index_keys WHERE state = 'current'", 0), 1);
    assert_int_equal(apptest_i64(at->db, "SELECT gen FROM index_keys WHERE state = 'current'", -1), 1);
    assert_int_equal(apptest_i64(at->db, "SELECT count(*) FROM index_keys WHERE gen = 0 AND state = 'old'", 0), 1);
    /* the switch needs no key file: refresh only moves the current generation */
    assert_int_equal(keystore_refresh(at->db, "/nonexistent/kek", &other, &changed), 0);
    assert_true(changed);
    assert_true(blind_index(&other, "idno", IDNO, 18) == v1);
    assert_int_equal(keyring_index_current(&other)->slot, 1);
    /* only ID numbers follow the generation: the other domains' columns stay on generation 0 */
    assert_true(blind_index(&other, "phone", "13800001111", 11) == idx_with(&other.keys[0], "phone", "13800001111"));
    /* the old generation stays computable (audit targets made with it) */
    assert_int_equal(blind_index_gen(&other, 0, "idno", IDNO, 18, &v0), 0);
    assert_true(v0 == g0);
    /* a fresh load sees the same */
    struct keyring fresh;
    assert_int_equal(keystore_load(at->db, &f.kek, &fresh), 0);
    assert_true(blind_index(&fresh, "idno", IDNO, 18) == v1);
    /* the next rotation takes the other slot again */
    assert_int_equal(keystore_index_add(at->db, &f.kek, &gen), 0);
    assert_int_equal(gen, 2);
    assert_int_equal(apptest_i64(at->db, "SELECT slot FROM index_keys WHERE gen = 2", -1), 0);
    keyring_wipe(&fresh);
    keyring_wipe(&kr);
    keyring_wipe(&other);
    kek_drop(&f);
}

/* The auditor's "who looked up this person" finds the lookups made before the switch (their
 * audit target is the index of their time) and after it. */
static void
test_auditor_finds_lookups_of_every_generation(void **state)
{
    struct apptest *at = *state;
    struct keyring *kr = &at->app.keys;
    struct actor other, aud;
    struct arena arena = ARENA_INIT;
    struct person_history h;
    struct lookup_hit *hits = NULL;
    struct buf *why = apptest_why();
    size_t n = 0;
    bool truncated = false;
    uint8_t g1[SM3_LEN];

    time_set_fake_ms(APPTEST_NOW);
    apptest_actor(at, apptest_user(at, "other", ROLE_SUBDISTRICT, APPTEST_SUBDISTRICT, NULL, NULL), &other);
    apptest_actor(at, apptest_user(at, "aud", ROLE_AUDITOR, NULL, NULL, NULL), &aud);
    assert_int_equal(keyring_index_add(kr, 0, 0, kr->keys[0].blind), 0);
    assert_int_equal(keyring_index_set_current(kr, 0), 0);
    assert_int_equal(person_lookup(&at->app, at->db, &other, IDNO, 14, false, NULL, &arena, &h, why), 0);

    /* the switch to generation 1 (a key of its own) */
    assert_int_equal(crypto_random(g1, sizeof g1), 0);
    assert_int_equal(keyring_index_add(kr, 1, 1, g1), 0);
    assert_int_equal(keyring_index_set_current(kr, 1), 0);
    time_set_fake_ms(APPTEST_NOW + 60000);
    assert_int_equal(lookup_audit_find(&at->app, at->db, &aud, IDNO, &arena, &hits, &n, &truncated, why), 0);
    assert_int_equal(n, 1); /* made under generation 0 */
    assert_string_equal(hits[0].actor, "other");
    assert_int_equal(hits[0].ts, APPTEST_NOW);

    time_set_fake_ms(APPTEST_NOW + 120000);
    assert_int_equal(person_lookup(&at->app, at->db, &other, IDNO, 14, false, NULL, &arena, &h, why), 0);
    assert_int_equal(lookup_audit_find(&at->app, at->db, &aud, IDNO, &arena, &hits, &n, &truncated, why), 0);
    assert_int_equal(n, 2);
    assert_int_equal(hits[0].ts, APPTEST_NOW + 120000);
    assert_int_equal(hits[1].ts, APPTEST_NOW);
    /* the two lookups name different indexes: the generation changed the audit target */
    assert_int_equal(apptest_i64(at->db, "SELECT COUNT(DISTINCT target) FROM audit_log WHERE action = 'people.lookup'", 0),
                     2);
    wipe(g1, sizeof g1);
    arena_release(&arena);
}

/* A wrong key file opens no index generation. */
static void
test_wrong_kek(void **state)
{
    struct apptest *at = *state;
    struct kekfile f, g;
    struct keyring kr;
    uint32_t gen = 0;

    kek_make(&f);
    kek_make(&g);
    assert_int_equal(keystore_load(at->db, &f.kek, &kr), 0);
    keyring_wipe(&kr);
    assert_int_equal(keystore_index_add(at->db, &g.kek, &gen), 0); /* wrapped under another KEK */
    assert_int_equal(keystore_load(at->db, &f.kek, &kr), ERR_CRYPTO);
    kek_drop(&f);
    kek_drop(&g);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        APPTEST(test_generation_zero_is_oldest_blind),
        APPTEST(test_add_refresh_switch),
        APPTEST(test_auditor_finds_lookups_of_every_generation),
        APPTEST(test_wrong_kek),
    };
    return apptest_run("domain_index_keys", tests, sizeof tests / sizeof tests[0]);
}
