/* domain/platform/keystore.c - wrapped data keys in table data_keys (S1 key management):
 * loading them, adding a generation, picking up generations another process added
 * (serve, issue 12 key rotation) and retiring one. */
#include "domain/platform/keystore.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/log.h"
#include "core/time.h"
#include "crypto/field.h"
#include "crypto/keyring.h"

static const char sql_list[] = "SELECT id, wrapped, active, retired_at FROM data_keys ORDER BY id";
static const char sql_insert[] =
    "INSERT INTO data_keys (id, wrapped, created_at, active) VALUES (?1, ?2, ?3, 1)";

static int
keystore_create_first(struct db *db, const struct kek *kek)
{
    uint8_t raw[DATA_KEY_LEN], wrapped[FIELD_SEALED_LEN(DATA_KEY_LEN)];
    size_t n = 0;
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;

    if ((rc = crypto_random(raw, sizeof raw)) ||
        (rc = keyring_wrap(kek, 1, raw, wrapped, sizeof wrapped, &n)))
        goto out;
    if ((rc = db_prepare(db, sql_insert, &st)) || (rc = db_bind_i64(st, 1, 1)) ||
        (rc = db_bind_blob(st, 2, wrapped, n)) || (rc = db_bind_i64(st, 3, time_now_ms())) ||
        (rc = db_step(st, &row)))
        goto out;
    log_info("keys.created", "key_id", "1", NULL);
out:
    db_done(st);
    wipe(raw, sizeof raw);
    /* a concurrent start created it first: fine, load it */
    return rc == ERR_CONFLICT ? 0 : rc;
}

static const char sql_index_list[] = "SELECT gen, wrapped, slot, state FROM index_keys ORDER BY gen";

/* keystore_read_index adds every blind-index generation of index_keys that kr lacks (gen 0,
 * stored without a key, is the oldest data key's blind subkey) and makes the one in state
 * 'current' kr's current generation. kr holds its data keys already. */
static int
keystore_read_index(struct db *db, const struct kek *kek, struct keyring *kr)
{
    struct db_stmt *st = NULL;
    bool row = false, have_current = false;
    uint32_t current = 0;
    int rc;

    if ((rc = db_prepare(db, sql_index_list, &st)))
        goto out;
    while (!(rc = db_step(st, &row)) && row) {
        uint8_t blind[SM3_LEN];
        size_t n = 0, sn = 0;
        int64_t gen = db_col_i64(st, 0);
        const uint8_t *w = db_col_blob(st, 1, &n);
        const char *state = db_col_text(st, 3, &sn);
        if (gen < 0 || gen > UINT32_MAX) {
            rc = ERR_CRYPTO;
            goto out;
        }
        if (sn == 7 && !memcmp(state, "current", 7)) {
            current = (uint32_t)gen;
            have_current = true;
        }
        if (keyring_index_find(kr, (uint32_t)gen))
            continue;
        if (db_col_is_null(st, 1) && gen == 0)
            memcpy(blind, kr->keys[0].blind, SM3_LEN); /* the oldest data key's: stays put */
        else if ((rc = keyring_unwrap_index(kek, (uint32_t)gen, w, n, blind)))
            goto out;
        rc = keyring_index_add(kr, (uint32_t)gen, db_col_i64(st, 2) ? 1 : 0, blind);
        wipe(blind, sizeof blind);
        if (rc)
            goto out;
    }
    if (!rc && have_current)
        rc = keyring_index_set_current(kr, current);
out:
    db_done(st);
    return rc;
}

/* keystore_read adds every key of data_keys that kr does not hold yet (retired ones without
 * their field keys) and makes the row marked active the active key. */
static int
keystore_read(struct db *db, const struct kek *kek, struct keyring *kr)
{
    struct db_stmt *st = NULL;
    bool row = false;
    uint32_t active = 0;
    int rc;

    if ((rc = db_prepare(db, sql_list, &st)))
        goto out;
    while (!(rc = db_step(st, &row)) && row) {
        uint8_t raw[DATA_KEY_LEN];
        size_t n = 0;
        uint32_t id = (uint32_t)db_col_i64(st, 0);
        const uint8_t *w = db_col_blob(st, 1, &n);
        bool retired = !db_col_is_null(st, 3);
        if (db_col_i64(st, 2) && !retired)
            active = id;
        if (keyring_find(kr, id))
            continue;
        if (retired) {
            if ((rc = keyring_add_retired(kr, kek, id, w, n)))
                goto out;
            continue;
        }
        if ((rc = keyring_unwrap(kek, id, w, n, raw)) || (rc = keyring_add(kr, id, raw))) {
            wipe(raw, sizeof raw);
            goto out;
        }
        wipe(raw, sizeof raw);
    }
    if (!rc && active)
        rc = keyring_set_active(kr, active);
    db_done(st);
    st = NULL;
    if (!rc && kr->n) /* index generation 0 needs the oldest data key */
        rc = keystore_read_index(db, kek, kr);
out:
    db_done(st);
    return rc;
}

int
keystore_load(struct db *db, const struct kek *kek, struct keyring *kr)
{
    int rc;
    memset(kr, 0, sizeof *kr);
    if ((rc = keystore_read(db, kek, kr)))
        goto out;
    if (kr->n == 0) {
        if ((rc = keystore_create_first(db, kek)) || (rc = keystore_read(db, kek, kr)))
            goto out;
    }
    rc = kr->n ? 0 : ERR_CRYPTO;
out:
    if (rc)
        keyring_wipe(kr);
    return rc;
}

int
keystore_add_generation(struct db *db, const struct kek *kek, uint32_t *id_out)
{
    static const char sql_max[] = "SELECT COALESCE(MAX(id), 0), COUNT(*) FROM data_keys";
    static const char sql_off[] = "UPDATE data_keys SET active = 0 WHERE active <> 0";
    uint8_t raw[DATA_KEY_LEN], wrapped[FIELD_SEALED_LEN(DATA_KEY_LEN)];
    struct db_stmt *st = NULL;
    size_t n = 0;
    bool row = false;
    int64_t id = 0;
    int rc;

    if ((rc = db_prepare(db, sql_max, &st)) || (rc = db_step(st, &row)))
        goto out;
    id = row ? db_col_i64(st, 0) + 1 : 1;
    int64_t have = row ? db_col_i64(st, 1) : 0;
    db_done(st);
    st = NULL;
    if (id > UINT32_MAX || have >= KEYRING_MAX) { /* every generation stays in the ring */
        rc = ERR_TOO_LARGE;
        goto out;
    }
    if ((rc = crypto_random(raw, sizeof raw)) ||
        (rc = keyring_wrap(kek, (uint32_t)id, raw, wrapped, sizeof wrapped, &n)) || (rc = db_exec(db, sql_off)))
        goto out;
    if ((rc = db_prepare(db, sql_insert, &st)) || (rc = db_bind_i64(st, 1, id)) ||
        (rc = db_bind_blob(st, 2, wrapped, n)) || (rc = db_bind_i64(st, 3, time_now_ms())) ||
        (rc = db_step(st, &row)))
        goto out;
    rc = 0;
out:
    db_done(st);
    wipe(raw, sizeof raw);
    if (!rc) {
        char s[24];
        snprintf(s, sizeof s, "%lld", (long long)id);
        log_info("keys.created", "key_id", s, NULL);
        *id_out = (uint32_t)id;
    }
    return rc;
}

/* keystore_index_state sets *news when index_keys holds a generation kr lacks and
 * *current to the generation in state 'current' (-1 when none). */
static int
keystore_index_state(struct db *db, const struct keyring *kr, bool *news, int64_t *current)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;

    *current = -1;
    if ((rc = db_prepare(db, sql_index_list, &st)))
        return rc;
    while (!(rc = db_step(st, &row)) && row) {
        size_t sn = 0;
        int64_t gen = db_col_i64(st, 0);
        const char *state = db_col_text(st, 3, &sn);
        if (gen < 0 || gen > UINT32_MAX || !keyring_index_find(kr, (uint32_t)gen))
            *news = true;
        if (sn == 7 && !memcmp(state, "current", 7))
            *current = gen;
    }
    db_done(st);
    return rc;
}

int
keystore_refresh(struct db *db, const char *kek_path, struct keyring *kr, bool *changed)
{
    int64_t idx_current = -1;
    static const char sql_state[] = "SELECT id, active, retired_at FROM data_keys ORDER BY id";
    struct db_stmt *st = NULL;
    struct kek kek;
    bool row = false, news = false;
    uint32_t active = 0;
    int rc;

    *changed = false;
    if ((rc = db_prepare(db, sql_state, &st)))
        return rc;
    while (!(rc = db_step(st, &row)) && row) {
        uint32_t id = (uint32_t)db_col_i64(st, 0);
        if (!keyring_find(kr, id))
            news = true;
        if (db_col_i64(st, 1) && db_col_is_null(st, 2))
            active = id;
    }
    db_done(st);
    if (rc || (rc = keystore_index_state(db, kr, &news, &idx_current)))
        return rc;
    if (!news) {
        const struct datakey *cur = keyring_active(kr);
        const struct indexkey *icur = keyring_index_current(kr);
        if (idx_current >= 0 && (!icur || icur->gen != (uint32_t)idx_current)) {
            *changed = true;
            if ((rc = keyring_index_set_current(kr, (uint32_t)idx_current)))
                return rc;
        }
        if (!active || (cur && cur->id == active))
            return 0;
        *changed = true;
        return keyring_set_active(kr, active);
    }
    if ((rc = keyring_kek_load(kek_path, &kek))) /* the KEK is held only while it is needed */
        return rc;
    rc = keystore_read(db, &kek, kr);
    kek_wipe(&kek);
    *changed = rc == 0;
    return rc;
}

int
keystore_index_add(struct db *db, const struct kek *kek, uint32_t *gen_out)
{
    static const char sql_max[] = "SELECT COALESCE(MAX(gen), 0), COUNT(*),"
                                  " SUM(CASE WHEN state = 'next' THEN 1 ELSE 0 END),"
                                  " MAX(CASE WHEN state = 'current' THEN slot ELSE -1 END) FROM index_keys";
    static const char sql_add[] = "INSERT INTO index_keys (gen, wrapped, slot, state, created_at)"
                                  " VALUES (?1, ?2, ?3, 'next', ?4)";
    uint8_t raw[DATA_KEY_LEN], wrapped[FIELD_SEALED_LEN(DATA_KEY_LEN)];
    struct db_stmt *st = NULL;
    size_t n = 0;
    bool row = false;
    int64_t gen = 0, have = 0, next = 0, slot = -1;
    int rc;

    if ((rc = db_prepare(db, sql_max, &st)) || (rc = db_step(st, &row)))
        goto out;
    if (row) {
        gen = db_col_i64(st, 0) + 1;
        have = db_col_i64(st, 1);
        next = db_col_is_null(st, 2) ? 0 : db_col_i64(st, 2);
        slot = db_col_is_null(st, 3) ? -1 : db_col_i64(st, 3);
    }
    db_done(st);
    st = NULL;
    if (next || slot < 0) { /* one rotation at a time, from a current generation */
        rc = ERR_CONFLICT;
        goto out;
    }
    if (gen > UINT32_MAX || have >= INDEX_GEN_MAX) { /* old generations stay for the auditor */
        rc = ERR_TOO_LARGE;
        goto out;
    }
    if ((rc = crypto_random(raw, sizeof raw)) ||
        (rc = keyring_wrap_index(kek, (uint32_t)gen, raw, wrapped, sizeof wrapped, &n)))
        goto out;
    if ((rc = db_prepare(db, sql_add, &st)) || (rc = db_bind_i64(st, 1, gen)) ||
        (rc = db_bind_blob(st, 2, wrapped, n)) || (rc = db_bind_i64(st, 3, slot ? 0 : 1)) ||
        (rc = db_bind_i64(st, 4, time_now_ms())) || (rc = db_step(st, &row)))
        goto out;
    *gen_out = (uint32_t)gen;
out:
    db_done(st);
    wipe(raw, sizeof raw);
    wipe(wrapped, sizeof wrapped);
    return rc;
}

int
keystore_index_switch(struct db *db, uint32_t gen)
{
    static const char sql_old[] = "UPDATE index_keys SET state = 'old' WHERE state = 'current'"
                                  " AND EXISTS (SELECT 1 FROM index_keys WHERE gen = ?1 AND state = 'next')";
    static const char sql_cur[] = "UPDATE index_keys SET state = 'current' WHERE gen = ?1 AND state = 'next'";
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;

    if ((rc = db_prepare(db, sql_old, &st)) || (rc = db_bind_i64(st, 1, gen)) || (rc = db_step(st, &row)))
        goto out;
    db_done(st);
    st = NULL;
    if ((rc = db_prepare(db, sql_cur, &st)) || (rc = db_bind_i64(st, 1, gen)) || (rc = db_step(st, &row)))
        goto out;
    rc = db_changes(st) == 1 ? 0 : ERR_NOT_FOUND;
out:
    db_done(st);
    return rc;
}

int
keystore_retire(struct db *db, const struct kek *kek, const struct keyring *kr, uint32_t id)
{
    static const char sql_retire[] = "UPDATE data_keys SET wrapped = ?1, retired_at = ?2"
                                     " WHERE id = ?3 AND active = 0 AND retired_at IS NULL";
    uint8_t wrapped[FIELD_SEALED_LEN(KEYRING_RETIRED_LEN)];
    const struct datakey *k = keyring_find(kr, id);
    struct db_stmt *st = NULL;
    bool row = false;
    size_t n = 0;
    int rc;

    if (!k)
        return ERR_NOT_FOUND;
    if (k->retired || keyring_active(kr) == k)
        return ERR_CONFLICT;
    if ((rc = keyring_wrap_retired(kek, k, wrapped, sizeof wrapped, &n)))
        return rc;
    if ((rc = db_prepare(db, sql_retire, &st)) || (rc = db_bind_blob(st, 1, wrapped, n)) ||
        (rc = db_bind_i64(st, 2, time_now_ms())) || (rc = db_bind_i64(st, 3, id)) || (rc = db_step(st, &row)))
        goto out;
    rc = db_changes(st) == 1 ? 0 : ERR_CONFLICT;
out:
    db_done(st);
    wipe(wrapped, sizeof wrapped);
    return rc;
}
