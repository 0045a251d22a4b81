/* domain/platform/audit.c - append-only hash-chained audit log (S6: 安全审计).
 *
 * Not a log of requests (that is the access log); a record of security-relevant acts:
 * logins, lockouts, denials, data changes, personal-data lookups.
 */
#include "domain/platform/audit.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/time.h"
#include "crypto/sm.h"
#include "db/db_sql.h"
#include "db/db_value.h"
#include "db/db_writer.h"
#include "domain/platform/write_group.h"

static void
audit_field(struct buf *b, const char *s)
{
    uint32_t n = (uint32_t)strlen(s ? s : "");
    uint8_t len[4] = { (uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n };
    buf_add(b, len, 4);
    buf_add(b, s ? s : "", n);
}

/* audit_mac chains e to prev. The row id is not covered: order is the chain itself, and a
 * deleted or edited row breaks the link of the row after it. */
static int
audit_mac(const struct datakey *k, const uint8_t prev[SM3_LEN], const struct audit_entry *e,
          uint8_t out[SM3_LEN])
{
    struct buf b = BUF_INIT;
    char ts[24];
    int rc;
    buf_add(&b, prev, SM3_LEN);
    snprintf(ts, sizeof ts, "%lld", (long long)e->ts);
    audit_field(&b, ts);
    audit_field(&b, e->actor);
    audit_field(&b, e->role);
    audit_field(&b, e->ip);
    audit_field(&b, e->action);
    audit_field(&b, e->target);
    audit_field(&b, e->result);
    audit_field(&b, e->request_id);
    audit_field(&b, e->detail);
    rc = buf_error(&b) ? ERR_INTERNAL : hmac_sm3(k->audit, sizeof k->audit, b.data, b.len, out);
    buf_release(&b);
    return rc;
}

static const char sql_head_lock[] = "UPDATE audit_head SET last_id = last_id WHERE id = 1";
static const char sql_head_get[] = "SELECT last_id, mac, tag FROM audit_head WHERE id = 1";
static const char sql_head_init[] =
    "INSERT INTO audit_head (id, last_id, mac, tag) VALUES (1, 0, ?1, ?2) ON CONFLICT (id) DO NOTHING";
static const char sql_head_set[] = "UPDATE audit_head SET last_id = ?1, mac = ?2, tag = ?3 WHERE id = 1";

/* audit_head_tag keys the head: HMAC-SM3(audit key of the oldest data key, "audit-head" |
 * last_id | mac). Without the key the head cannot be pointed at an earlier row. */
static int
audit_head_tag(const struct keyring *kr, int64_t last_id, const uint8_t mac[SM3_LEN], uint8_t out[SM3_LEN])
{
    uint8_t msg[10 + 8 + SM3_LEN];
    if (!kr->n)
        return ERR_CRYPTO;
    memcpy(msg, "audit-head", 10);
    for (int i = 0; i < 8; i++)
        msg[10 + i] = (uint8_t)((uint64_t)last_id >> (56 - 8 * i));
    memcpy(msg + 18, mac, SM3_LEN);
    return hmac_sm3(kr->keys[0].audit, sizeof kr->keys[0].audit, msg, sizeof msg, out);
}
static const char sql_insert[] =
    "INSERT INTO audit_log (ts, actor, role, ip, action, target, result, request_id, detail,"
    " key_id, mac) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) RETURNING id";

/* audit_head_read locks the chain head (creating it at genesis; a concurrent genesis waits
 * on the other insert and then finds the row) and returns the last mac (32 zero bytes at
 * genesis) and the last row id. */
static int
audit_head_read(struct db *db, const struct keyring *kr, uint8_t prev[SM3_LEN], int64_t *last_id)
{
    uint8_t tag[SM3_LEN];
    struct db_stmt *st = NULL;
    bool row = false;
    size_t n = 0;
    int rc;
    memset(prev, 0, SM3_LEN);
    *last_id = 0;
    for (int attempt = 0; attempt < 2; attempt++) {
        if ((rc = db_prepare(db, sql_head_lock, &st)) || (rc = db_step(st, &row)))
            goto out;
        bool locked = db_changes(st) > 0;
        db_done(st);
        st = NULL;
        if (locked)
            break;
        if (attempt == 1) {
            rc = ERR_DB;
            goto out;
        }
        if ((rc = audit_head_tag(kr, 0, prev, tag)) || (rc = db_prepare(db, sql_head_init, &st)) ||
            (rc = db_bind_blob(st, 1, prev, SM3_LEN)) || (rc = db_bind_blob(st, 2, tag, SM3_LEN)) ||
            (rc = db_step(st, &row)))
            goto out;
        db_done(st);
        st = NULL;
    }
    if ((rc = db_prepare(db, sql_head_get, &st)) || (rc = db_step(st, &row)))
        goto out;
    if (!row) {
        rc = ERR_DB;
        goto out;
    }
    *last_id = db_col_i64(st, 0);
    const void *mac = db_col_blob(st, 1, &n), *stored_tag;
    size_t tn = 0;
    if (n != SM3_LEN) {
        rc = ERR_DB;
        goto out;
    }
    memcpy(prev, mac, SM3_LEN);
    /* Fail closed: appending to a head that does not carry its keyed tag would seal a cut
     * or rewound chain as if it were intact. Only the console can re-anchor
     * (audit_reanchor) after someone looked at what happened. */
    stored_tag = db_col_blob(st, 2, &tn);
    if ((*last_id > 0 || stored_tag) &&
        (tn != SM3_LEN || audit_head_tag(kr, *last_id, prev, tag) || !crypto_equal(stored_tag, tag, SM3_LEN))) {
        log_error("audit.head_invalid", "hint", "run 'jiayuan verify' at the console", NULL);
        rc = ERR_CRYPTO;
        goto out;
    }
out:
    db_done(st);
    return rc;
}

static int
bind_str(struct db_stmt *st, int idx, const char *s)
{
    return db_bind_text(st, idx, s, strlen(s));
}

int
audit_append(struct db *db, const struct keyring *kr, const struct actor *a,
             const char *action, const char *target, const char *result, const char *detail)
{
    const struct datakey *k = keyring_active(kr);
    struct db_stmt *st = NULL;
    uint8_t prev[SM3_LEN], mac[SM3_LEN];
    int64_t last_id = 0, id = 0;
    bool row = false;
    int rc = ERR_INTERNAL;
    struct audit_entry e = {
        .ts = time_now_ms(),
        .actor = a->name[0] ? a->name : "anonymous",
        .role = a->kind == ACTOR_TOKEN    ? "token"
                : a->kind == ACTOR_SYSTEM ? "system"
                                          : role_name(a->role), /* "none" when unknown */
        .ip = a->ip,
        .action = action,
        .target = target ? target : "",
        .result = result,
        .request_id = a->request_id,
        .detail = detail ? detail : "",
    };

    if (!k)
        return ERR_CRYPTO;
    if ((rc = audit_head_read(db, kr, prev, &last_id)) || (rc = audit_mac(k, prev, &e, mac)))
        goto out;
    if ((rc = db_prepare(db, sql_insert, &st)) || (rc = db_bind_i64(st, 1, e.ts)) ||
        (rc = bind_str(st, 2, e.actor)) || (rc = bind_str(st, 3, e.role)) ||
        (rc = bind_str(st, 4, e.ip)) || (rc = bind_str(st, 5, e.action)) ||
        (rc = bind_str(st, 6, e.target)) || (rc = bind_str(st, 7, e.result)) ||
        (rc = bind_str(st, 8, e.request_id)) || (rc = bind_str(st, 9, e.detail)) ||
        (rc = db_bind_i64(st, 10, k->id)) || (rc = db_bind_blob(st, 11, mac, SM3_LEN)) ||
        (rc = db_step(st, &row)))
        goto out;
    id = row ? db_col_i64(st, 0) : 0;
    db_done(st);
    st = NULL;
    if (id <= last_id) {
        rc = ERR_DB;
        goto out;
    }
    uint8_t tag[SM3_LEN];
    if (!(rc = audit_head_tag(kr, id, mac, tag)) && !(rc = db_prepare(db, sql_head_set, &st)) &&
        !(rc = db_bind_i64(st, 1, id)) && !(rc = db_bind_blob(st, 2, mac, SM3_LEN)) &&
        !(rc = db_bind_blob(st, 3, tag, SM3_LEN)))
        rc = db_step(st, &row);
out:
    db_done(st);
    return rc;
}

int
audit_record(struct db *db, const struct keyring *kr, const struct actor *a,
             const char *action, const char *target, const char *result, const char *detail)
{
    int rc;
    if ((rc = db_begin(db)))
        return rc;
    if ((rc = audit_append(db, kr, a, action, target, result, detail)) || (rc = db_commit(db)))
        db_rollback(db);
    return rc;
}

struct audit_write {
    const struct keyring *kr;
    const struct actor *a;
    const char *action, *target, *result, *detail;
};

static int
audit_write(struct db *db, void *group, void *arg)
{
    const struct audit_write *w = arg;
    if (group) { /* app->writer folds the group's entries: one chain-head update per group */
        write_group_audit(group, w->a, w->action, w->target, w->result, w->detail);
        return 0;
    }
    return audit_append(db, w->kr, w->a, w->action, w->target, w->result, w->detail);
}

int
audit_record_via(struct db_writer *writer, struct db *db, const struct keyring *kr, const struct actor *a,
                 const char *action, const char *target, const char *result, const char *detail)
{
    if (!writer)
        return audit_record(db, kr, a, action, target, result, detail);
    struct audit_write w = { kr, a, action, target, result, detail };
    return db_writer_run(writer, audit_write, &w);
}

#define AUDIT_FILTER                                                                         \
    " (?1 = '' OR actor = ?1) AND (?2 = '' OR action = ?2) AND (?3 = 0 OR ts >= ?3)"          \
    " AND (?4 = 0 OR ts < ?4) AND (?5 = '' OR result = ?5)"
static const char sql_list[] =
    "SELECT id, ts, actor, role, ip, action, target, result, request_id, detail FROM audit_log"
    " WHERE" AUDIT_FILTER " AND (?6 = 0 OR id < ?6) ORDER BY id DESC LIMIT ?7";
static const char sql_count[] = "SELECT count(*) FROM audit_log WHERE" AUDIT_FILTER;

static int
audit_bind_filter(struct db_stmt *st, const struct audit_query *q)
{
    int rc;
    const char *actor = q->actor ? q->actor : "", *action = q->action ? q->action : "";
    if ((rc = bind_str(st, 1, actor)) || (rc = bind_str(st, 2, action)) ||
        (rc = db_bind_i64(st, 3, q->from)) || (rc = db_bind_i64(st, 4, q->to)) ||
        (rc = bind_str(st, 5, q->result ? q->result : "")))
        return rc;
    return 0;
}

int
audit_list(struct db *db, const struct audit_query *q, struct arena *arena,
           struct audit_entry **items, size_t *n, int64_t *total)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    size_t count = 0;
    struct audit_entry *out = arena_alloc(arena, sizeof *out * (q->limit ? q->limit : 1));

    if ((rc = db_prepare(db, sql_count, &st)) || (rc = audit_bind_filter(st, q)) ||
        (rc = db_step(st, &row)))
        goto out;
    *total = row ? db_col_i64(st, 0) : 0;
    db_done(st);
    st = NULL;
    if ((rc = db_prepare(db, sql_list, &st)) || (rc = audit_bind_filter(st, q)) ||
        (rc = db_bind_i64(st, 6, q->before_id)) || (rc = db_bind_i64(st, 7, (int64_t)q->limit)))
        goto out;
    while (count < q->limit && !(rc = db_step(st, &row)) && row) {
        struct audit_entry *e = &out[count++];
        e->id = db_col_i64(st, 0);
        e->ts = db_col_i64(st, 1);
        e->actor = db_col_arena(st, 2, arena);
        e->role = db_col_arena(st, 3, arena);
        e->ip = db_col_arena(st, 4, arena);
        e->action = db_col_arena(st, 5, arena);
        e->target = db_col_arena(st, 6, arena);
        e->result = db_col_arena(st, 7, arena);
        e->request_id = db_col_arena(st, 8, arena);
        e->detail = db_col_arena(st, 9, arena);
    }
    *items = out;
    *n = count;
out:
    db_done(st);
    return rc;
}

#define AUDIT_SECURITY_ACTIONS                                                                  \
    " (action LIKE 'auth.%' OR action LIKE 'access.%' OR action LIKE 'user.%' OR action LIKE 'token.%'" \
    " OR action = 'settings.policy.update' OR action LIKE 'audit.%')"
static const char sql_security[] =
    "SELECT id, ts, actor, role, ip, action, target, result, request_id, detail FROM audit_log"
    " WHERE" AUDIT_SECURITY_ACTIONS " ORDER BY id DESC LIMIT ?1";
static const char sql_security_counts[] =
    "SELECT COALESCE(SUM(CASE WHEN action = 'auth.login' AND result IN ('failed', 'locked') THEN 1 ELSE 0 END), 0),"
    " COALESCE(SUM(CASE WHEN action = 'auth.lockout' THEN 1 ELSE 0 END), 0)"
    " FROM audit_log WHERE ts >= ?1 AND action IN ('auth.login', 'auth.lockout')";

int
audit_security_recent(struct db *db, int64_t since, size_t limit, struct arena *arena, struct audit_entry **items,
                      size_t *n, int64_t *failed_logins, int64_t *lockouts)
{
    struct db_stmt *st = NULL;
    bool row = false;
    size_t count = 0;
    struct audit_entry *out = arena_alloc(arena, sizeof *out * (limit ? limit : 1));
    int rc;
    if ((rc = db_prepare(db, sql_security_counts, &st)) || (rc = db_bind_i64(st, 1, since)) ||
        (rc = db_step(st, &row)))
        goto out;
    *failed_logins = row ? db_col_i64(st, 0) : 0;
    *lockouts = row ? db_col_i64(st, 1) : 0;
    db_done(st);
    st = NULL;
    if ((rc = db_prepare(db, sql_security, &st)) || (rc = db_bind_i64(st, 1, (int64_t)limit)))
        goto out;
    while (count < limit && !(rc = db_step(st, &row)) && row) {
        struct audit_entry *e = &out[count++];
        e->id = db_col_i64(st, 0);
        e->ts = db_col_i64(st, 1);
        e->actor = db_col_arena(st, 2, arena);
        e->role = db_col_arena(st, 3, arena);
        e->ip = db_col_arena(st, 4, arena);
        e->action = db_col_arena(st, 5, arena);
        e->target = db_col_arena(st, 6, arena);
        e->result = db_col_arena(st, 7, arena);
        e->request_id = db_col_arena(st, 8, arena);
        e->detail = db_col_arena(st, 9, arena);
    }
    *items = out;
    *n = count;
out:
    db_done(st);
    return rc;
}

static const char sql_head_retag[] = "UPDATE audit_head SET tag = ?1 WHERE id = 1";

int
audit_reanchor(struct db *db, const struct keyring *kr, const struct actor *a, const char *finding)
{
    struct db_stmt *st = NULL;
    uint8_t mac[SM3_LEN], tag[SM3_LEN];
    int64_t last_id = 0;
    bool row = false;
    size_t n = 0;
    int rc;
    if ((rc = db_begin(db)))
        return rc;
    if ((rc = db_prepare(db, sql_head_lock, &st)) || (rc = db_step(st, &row)))
        goto out;
    db_done(st);
    st = NULL;
    if ((rc = db_prepare(db, sql_head_get, &st)) || (rc = db_step(st, &row)))
        goto out;
    if (row) {
        const void *m = db_col_blob(st, 1, &n);
        last_id = db_col_i64(st, 0);
        if (n != SM3_LEN) {
            rc = ERR_DB;
            goto out;
        }
        memcpy(mac, m, SM3_LEN);
        db_done(st);
        st = NULL;
        if ((rc = audit_head_tag(kr, last_id, mac, tag)) || (rc = db_prepare(db, sql_head_retag, &st)) ||
            (rc = db_bind_blob(st, 1, tag, SM3_LEN)) || (rc = db_step(st, &row)))
            goto out;
    }
    db_done(st);
    st = NULL;
    /* the re-anchoring itself is the next link of the chain, with what was found */
    if ((rc = audit_append(db, kr, a, "audit.reanchor", "audit_head", "ok", finding)) || (rc = db_commit(db)))
        goto out;
    log_warn("audit.reanchored", "by", a->name, NULL);
out:
    db_done(st);
    if (rc)
        db_rollback(db);
    return rc;
}

static const char sql_walk[] =
    "SELECT id, ts, actor, role, ip, action, target, result, request_id, detail, key_id, mac"
    " FROM audit_log WHERE id > ?1 ORDER BY id LIMIT ?2";
static const char sql_mac_at[] = "SELECT mac FROM audit_log WHERE id = ?1";

/* audit_verify_anchor: the stored mac of row id, the chain value the next row builds on.
 * ERR_NOT_FOUND when there is no such row. */
static int
audit_verify_anchor(struct db *db, int64_t id, uint8_t prev[SM3_LEN])
{
    struct db_stmt *st = NULL;
    bool row = false;
    size_t n = 0;
    int rc;
    memset(prev, 0, SM3_LEN);
    if (id == 0)
        return 0;
    if ((rc = db_prepare(db, sql_mac_at, &st)) || (rc = db_bind_i64(st, 1, id)) || (rc = db_step(st, &row)))
        goto out;
    const void *m = row ? db_col_blob(st, 0, &n) : NULL;
    if (!m || n != SM3_LEN)
        rc = ERR_NOT_FOUND;
    else
        memcpy(prev, m, SM3_LEN);
out:
    db_done(st);
    return rc;
}

/* audit_verify_head: does the head point at last_id with chain value prev and a good tag? */
static int
audit_verify_head(struct db *db, const struct keyring *kr, int64_t last_id, const uint8_t prev[SM3_LEN],
                  int64_t *first_broken)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    if ((rc = db_prepare(db, sql_head_get, &st)) || (rc = db_step(st, &row)))
        goto out;
    if (row) {
        size_t n = 0, tn = 0;
        const void *hm = db_col_blob(st, 1, &n), *ht = db_col_blob(st, 2, &tn);
        uint8_t want[SM3_LEN];
        int64_t head_id = db_col_i64(st, 0);
        if (head_id != last_id || n != SM3_LEN || !crypto_equal(hm, prev, SM3_LEN) || tn != SM3_LEN ||
            audit_head_tag(kr, head_id, prev, want) || !crypto_equal(ht, want, SM3_LEN))
            *first_broken = -1;
    } else if (last_id) {
        *first_broken = -1;
    }
out:
    db_done(st);
    return rc;
}

int
audit_verify_slice(struct db *db, const struct keyring *kr, int64_t after_id, size_t limit, int64_t *checked,
                   int64_t *first_broken, int64_t *next)
{
    struct db_stmt *st = NULL;
    uint8_t prev[SM3_LEN], mac[SM3_LEN];
    int64_t last_id = after_id;
    size_t count = 0;
    bool row = false;
    int rc;
    struct arena arena = ARENA_INIT;

    *checked = 0;
    *first_broken = 0;
    *next = 0;
    if (limit < 1 || limit > AUDIT_VERIFY_SLICE_MAX || after_id < 0)
        return ERR_INVALID;
    if ((rc = audit_verify_anchor(db, after_id, prev)))
        goto out;
    if ((rc = db_prepare(db, sql_walk, &st)) || (rc = db_bind_i64(st, 1, after_id)) ||
        (rc = db_bind_i64(st, 2, (int64_t)limit)))
        goto out;
    while (!(rc = db_step(st, &row)) && row) {
        struct audit_entry e;
        size_t n = 0;
        const void *stored;
        const struct datakey *k = keyring_find(kr, (uint32_t)db_col_i64(st, 10));
        e.id = db_col_i64(st, 0);
        e.ts = db_col_i64(st, 1);
        e.actor = db_col_arena(st, 2, &arena);
        e.role = db_col_arena(st, 3, &arena);
        e.ip = db_col_arena(st, 4, &arena);
        e.action = db_col_arena(st, 5, &arena);
        e.target = db_col_arena(st, 6, &arena);
        e.result = db_col_arena(st, 7, &arena);
        e.request_id = db_col_arena(st, 8, &arena);
        e.detail = db_col_arena(st, 9, &arena);
        stored = db_col_blob(st, 11, &n);
        if (!k || n != SM3_LEN || audit_mac(k, prev, &e, mac) || !crypto_equal(mac, stored, SM3_LEN)) {
            *first_broken = e.id;
            goto out;
        }
        memcpy(prev, mac, SM3_LEN);
        last_id = e.id;
        count++;
        (*checked)++;
        arena_release(&arena);
    }
    if (rc)
        goto out;
    db_done(st);
    st = NULL;
    if (count == limit)
        *next = last_id; /* more may follow: the caller goes on from here */
    else
        rc = audit_verify_head(db, kr, last_id, prev, first_broken); /* the end: a cut-off tail shows here */
out:
    db_done(st);
    arena_release(&arena);
    return rc;
}

int
audit_verify(struct db *db, const struct keyring *kr, int64_t *checked, int64_t *first_broken)
{
    int64_t after = 0, n = 0, next = 0;
    int rc;
    *checked = 0;
    do {
        if ((rc = audit_verify_slice(db, kr, after, AUDIT_VERIFY_SLICE, &n, first_broken, &next)))
            return rc;
        *checked += n;
        after = next;
    } while (next && !*first_broken);
    return 0;
}

/* Folded appends (issue 13: group commit) ---------------------------------------------------- */

void
audit_entry_init(struct audit_entry *e, const struct actor *a, const char *action, const char *target,
                 const char *result, const char *detail)
{
    *e = (struct audit_entry){
        .ts = time_now_ms(),
        .actor = a->name[0] ? a->name : "anonymous",
        .role = a->kind == ACTOR_TOKEN    ? "token"
                : a->kind == ACTOR_SYSTEM ? "system"
                                          : role_name(a->role),
        .ip = a->ip,
        .action = action,
        .target = target ? target : "",
        .result = result,
        .request_id = a->request_id,
        .detail = detail ? detail : "",
    };
}

#define AUDIT_INSERT_HEAD                                                                       \
    "INSERT INTO audit_log (ts, actor, role, ip, action, target, result, request_id, detail, key_id, mac)" \
    " VALUES"
static struct db_insert audit_tiers[] = { DB_INSERT(AUDIT_INSERT_HEAD, NULL, 0, 11, 64),
                                          DB_INSERT(AUDIT_INSERT_HEAD, NULL, 0, 11, 8) };
static const char sql_appended[] = "SELECT COALESCE(MAX(id), 0), count(*) FROM audit_log WHERE id > ?1";

struct audit_rows {
    const struct audit_entry *e;
    const uint8_t (*mac)[SM3_LEN];
    int64_t key_id;
};

static int
audit_bind_row(struct db_stmt *st, int f, size_t row, void *ctx)
{
    const struct audit_rows *r = ctx;
    const struct audit_entry *e = &r->e[row];
    int rc;
    if ((rc = db_bind_i64(st, f, e->ts)) || (rc = bind_str(st, f + 1, e->actor)) ||
        (rc = bind_str(st, f + 2, e->role)) || (rc = bind_str(st, f + 3, e->ip)) ||
        (rc = bind_str(st, f + 4, e->action)) || (rc = bind_str(st, f + 5, e->target)) ||
        (rc = bind_str(st, f + 6, e->result)) || (rc = bind_str(st, f + 7, e->request_id)) ||
        (rc = bind_str(st, f + 8, e->detail)) || (rc = db_bind_i64(st, f + 9, r->key_id)))
        return rc;
    return db_bind_blob(st, f + 10, r->mac[row], SM3_LEN);
}

/* The chain is in id order: the rows go in with multi-row INSERTs in entry order (ids follow
 * it, and no other appender can insert while this transaction holds the head), then the
 * new rows are counted and the head moves to the last. */
int
audit_append_entries(struct db *db, const struct keyring *kr, const struct audit_entry *e, size_t n)
{
    const struct datakey *k = keyring_active(kr);
    struct db_stmt *st = NULL;
    uint8_t prev[SM3_LEN], tag[SM3_LEN], (*mac)[SM3_LEN] = NULL;
    int64_t last_id = 0, new_last = 0;
    bool row = false;
    int rc;

    if (!k)
        return ERR_CRYPTO;
    if (n == 0)
        return 0;
    if ((rc = audit_head_read(db, kr, prev, &last_id)))
        return rc;
    mac = xcalloc(n, sizeof *mac);
    for (size_t i = 0; i < n; i++) {
        if ((rc = audit_mac(k, i ? mac[i - 1] : prev, &e[i], mac[i])))
            goto out;
    }
    struct audit_rows rows = { e, (const uint8_t(*)[SM3_LEN])mac, k->id };
    if ((rc = db_insert_tiers(db, audit_tiers, 2, n, NULL, audit_bind_row, &rows, NULL)) ||
        (rc = db_prepare(db, sql_appended, &st)) || (rc = db_bind_i64(st, 1, last_id)) || (rc = db_step(st, &row)))
        goto out;
    new_last = row ? db_col_i64(st, 0) : 0;
    if (!row || db_col_i64(st, 1) != (int64_t)n || new_last <= last_id) {
        rc = ERR_DB;
        goto out;
    }
    db_done(st);
    st = NULL;
    if (!(rc = audit_head_tag(kr, new_last, mac[n - 1], tag)) && !(rc = db_prepare(db, sql_head_set, &st)) &&
        !(rc = db_bind_i64(st, 1, new_last)) && !(rc = db_bind_blob(st, 2, mac[n - 1], SM3_LEN)) &&
        !(rc = db_bind_blob(st, 3, tag, SM3_LEN)))
        rc = db_step(st, &row);
out:
    db_done(st);
    xfree(mac);
    return rc;
}
