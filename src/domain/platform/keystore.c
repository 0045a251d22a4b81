/* domain/platform/keystore.c - wrapped data keys in table data_keys (S1 key management). */
#include "domain/platform/keystore.h"

#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/log.h"
#include "core/time.h"
#include "crypto/field.h"

static const char sql_list[] = "SELECT id, wrapped, active FROM data_keys ORDER BY id";
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
        if ((rc = keyring_unwrap(kek, id, w, n, raw)) || (rc = keyring_add(kr, id, raw))) {
            wipe(raw, sizeof raw);
            goto out;
        }
        wipe(raw, sizeof raw);
        if (db_col_i64(st, 2))
            active = id;
    }
    if (!rc && active)
        kr->active = active;
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
