/* domain/account/login_rate.c - failures per address and per name with back-off, in the
 * shared database (see login_rate.h; issue 12, issue 13). */
#include "domain/account/login_rate.h"

#include <stdatomic.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/log.h"
#include "crypto/keyring.h"
#include "crypto/sm.h"
#include "db/db.h"

#define LOGIN_RATE_KEY_LEN SM3_LEN
#define LOGIN_RATE_LABEL "login-rate"

static const char sql_get[] =
    "SELECT key, failures, blocked_until, last_failure FROM login_limits WHERE key IN (?1, ?2)";
/* the count is atomic across nodes; a key forgotten (idle past ?3, no block running)
 * starts afresh at 1 */
static const char sql_fail[] =
    "INSERT INTO login_limits (key, failures, blocked_until, last_failure) VALUES (?1, 1, 0, ?2)"
    " ON CONFLICT (key) DO UPDATE SET failures = CASE WHEN ?2 - login_limits.last_failure > ?3"
    " AND login_limits.blocked_until <= ?2 THEN 1 ELSE login_limits.failures + 1 END,"
    " last_failure = ?2 RETURNING failures";
/* a block only grows: two nodes counting at once keep the longer one */
static const char sql_block[] = "UPDATE login_limits SET blocked_until = ?2 WHERE key = ?1 AND blocked_until < ?2";
static const char sql_purge[] = "DELETE FROM login_limits WHERE last_failure < ?1 AND blocked_until <= ?2";
static const char sql_forget[] = "DELETE FROM login_limits WHERE key = ?1";
static const char sql_reset[] = "DELETE FROM login_limits";

static atomic_int login_rate_addr_limit = LOGIN_RATE_DEFAULT_LIMIT;
static atomic_uint login_rate_failures;

void
login_rate_configure(int addr_limit)
{
    atomic_store(&login_rate_addr_limit, addr_limit > 0 ? addr_limit : LOGIN_RATE_DEFAULT_LIMIT);
}

/* login_rate_key computes the stored key of kind ('a' address, 'n' name) and text, ASCII
 * case-folded (a name's case does not matter, nor an IPv6 address's hex digits). */
static int
login_rate_key(const struct keyring *kr, char kind, const char *text, uint8_t out[LOGIN_RATE_KEY_LEN])
{
    char small[256], *folded = small;
    size_t n = strlen(text);
    int rc;
    if (!kr || !kr->n)
        return ERR_CRYPTO;
    if (n >= sizeof small)
        folded = xmalloc(n + 1);
    for (size_t i = 0; i < n; i++)
        folded[i] = text[i] >= 'A' && text[i] <= 'Z' ? (char)(text[i] + 32) : text[i];
    const struct sm_part parts[] = { { LOGIN_RATE_LABEL, sizeof LOGIN_RATE_LABEL }, { &kind, 1 }, { folded, n } };
    rc = hmac_sm3_parts(kr->keys[0].token, sizeof kr->keys[0].token, parts, 3, out);
    if (folded != small)
        xfree(folded);
    return rc;
}

/* struct login_rate_row is a key's state as the check sees it at now (a forgotten key
 * reads as absent). */
struct login_rate_row {
    int64_t fails, blocked_until;
};

static void
login_rate_row_read(struct db_stmt *st, int64_t now, struct login_rate_row *r)
{
    int64_t fails = db_col_i64(st, 1), blocked = db_col_i64(st, 2), last = db_col_i64(st, 3);
    bool forgotten = now - last > LOGIN_RATE_FORGET_MS && blocked <= now;
    r->fails = forgotten ? 0 : fails;
    r->blocked_until = forgotten ? 0 : blocked;
}

/* login_rate_get reads the rows of the address key a and the name key n (may be NULL). */
static int
login_rate_get(struct db *db, const uint8_t *a, const uint8_t *n, int64_t now, struct login_rate_row *ar,
               struct login_rate_row *nr)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    memset(ar, 0, sizeof *ar);
    memset(nr, 0, sizeof *nr);
    if ((rc = db_prepare(db, sql_get, &st)) || (rc = db_bind_blob(st, 1, a, LOGIN_RATE_KEY_LEN)) ||
        (rc = db_bind_blob(st, 2, n ? n : a, LOGIN_RATE_KEY_LEN)))
        goto out;
    while (!(rc = db_step(st, &row)) && row) {
        size_t len = 0;
        const void *k = db_col_blob(st, 0, &len);
        if (len == LOGIN_RATE_KEY_LEN && !memcmp(k, a, len))
            login_rate_row_read(st, now, ar);
        else if (n && len == LOGIN_RATE_KEY_LEN && !memcmp(k, n, len))
            login_rate_row_read(st, now, nr);
    }
out:
    db_done(st);
    return rc;
}

int
login_rate_check(struct db *db, const struct keyring *kr, const char *addr, const char *name, int64_t now,
                 int64_t *retry_at)
{
    uint8_t a[LOGIN_RATE_KEY_LEN], n[LOGIN_RATE_KEY_LEN];
    struct login_rate_row ar, nr;
    int rc;
    *retry_at = 0;
    if (!addr) /* the name binds only addresses with failures on record */
        return 0;
    if ((rc = login_rate_key(kr, 'a', addr, a)) || (name && (rc = login_rate_key(kr, 'n', name, n))) ||
        (rc = login_rate_get(db, a, name ? n : NULL, now, &ar, &nr)))
        return rc;
    int64_t at = ar.blocked_until > now ? ar.blocked_until : 0;
    /* a blocked name binds only addresses with failures on record: its owner, elsewhere,
     * still gets through, so a stranger cannot keep the name blocked */
    int64_t nt = ar.fails > 0 && nr.blocked_until > now ? nr.blocked_until : 0;
    *retry_at = at > nt ? at : nt;
    return *retry_at ? ERR_RATE : 0;
}

/* login_rate_count counts one failure on key and blocks it past limit (*blocked set). */
static int
login_rate_count(struct db *db, const uint8_t key[LOGIN_RATE_KEY_LEN], int limit, int64_t now, bool *blocked)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int64_t fails = 0;
    int rc;
    if (!(rc = db_prepare(db, sql_fail, &st)) && !(rc = db_bind_blob(st, 1, key, LOGIN_RATE_KEY_LEN)) &&
        !(rc = db_bind_i64(st, 2, now)) && !(rc = db_bind_i64(st, 3, LOGIN_RATE_FORGET_MS)) &&
        !(rc = db_step(st, &row)) && row) {
        fails = db_col_i64(st, 0);
        while (!(rc = db_step(st, &row)) && row)
            ;
    }
    db_done(st);
    if (rc || fails < limit)
        return rc;
    int64_t shift = fails - limit;
    int64_t ms = shift >= 6 ? LOGIN_RATE_MAX_MS : LOGIN_RATE_BASE_MS << shift;
    int64_t until = now + (ms < LOGIN_RATE_MAX_MS ? ms : LOGIN_RATE_MAX_MS);
    st = NULL;
    if (!(rc = db_prepare(db, sql_block, &st)) && !(rc = db_bind_blob(st, 1, key, LOGIN_RATE_KEY_LEN)) &&
        !(rc = db_bind_i64(st, 2, until)))
        rc = db_step(st, &row);
    db_done(st);
    if (!rc)
        *blocked = true;
    return rc;
}

int
login_rate_fail(struct db *db, const struct keyring *kr, const char *addr, const char *name, int name_limit,
                int64_t now, bool *blocked)
{
    uint8_t key[LOGIN_RATE_KEY_LEN];
    bool b = false;
    int rc = 0;
    if (addr && !(rc = login_rate_key(kr, 'a', addr, key)))
        rc = login_rate_count(db, key, atomic_load(&login_rate_addr_limit), now, &b);
    if (!rc && name && name_limit > 0 && !(rc = login_rate_key(kr, 'n', name, key)))
        rc = login_rate_count(db, key, name_limit, now, &b);
    if (blocked)
        *blocked = b;
    /* bound the table: every LOGIN_RATE_PURGE_EVERY-th failure of this process purges */
    if (!rc && atomic_fetch_add(&login_rate_failures, 1) % LOGIN_RATE_PURGE_EVERY == LOGIN_RATE_PURGE_EVERY - 1)
        (void)login_rate_purge(db, now, NULL);
    return rc;
}

int
login_rate_clean(struct db *db, const struct keyring *kr, const char *addr, int64_t now, bool *clean)
{
    uint8_t a[LOGIN_RATE_KEY_LEN];
    struct login_rate_row ar, nr;
    int rc;
    *clean = false;
    if ((rc = login_rate_key(kr, 'a', addr, a)) || (rc = login_rate_get(db, a, NULL, now, &ar, &nr)))
        return rc;
    *clean = ar.fails == 0;
    return 0;
}

int
login_rate_purge(struct db *db, int64_t now, int64_t *deleted)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    if (deleted)
        *deleted = 0;
    if (!(rc = db_prepare(db, sql_purge, &st)) && !(rc = db_bind_i64(st, 1, now - LOGIN_RATE_FORGET_MS)) &&
        !(rc = db_bind_i64(st, 2, now)) && !(rc = db_step(st, &row)) && deleted)
        *deleted = db_changes(st);
    db_done(st);
    if (rc)
        log_warn("auth.rate.purge", "error", err_name(rc), NULL);
    return rc;
}

int
login_rate_unblock(struct db *db, const struct keyring *kr, char kind, const char *text, bool *found)
{
    uint8_t key[LOGIN_RATE_KEY_LEN];
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    *found = false;
    if (kind != 'a' && kind != 'n')
        return ERR_INVALID;
    if ((rc = login_rate_key(kr, kind, text, key)))
        return rc;
    if (!(rc = db_prepare(db, sql_forget, &st)) && !(rc = db_bind_blob(st, 1, key, sizeof key)) &&
        !(rc = db_step(st, &row)))
        *found = db_changes(st) > 0;
    db_done(st);
    return rc;
}

int
login_rate_reset(struct db *db)
{
    return db_exec(db, sql_reset);
}
