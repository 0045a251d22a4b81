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

int
keystore_refresh(struct db *db, const char *kek_path, struct keyring *kr, bool *changed)
{
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
    if (rc)
        return rc;
    if (!news) {
        const struct datakey *cur = keyring_active(kr);
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
