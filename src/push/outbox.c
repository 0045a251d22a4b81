/* push/outbox.c - write events in the data transaction, read them back for the deliverers,
 * wake the deliverers (R2.x "pushed to the dashboards and the map"). */
#include "push/outbox.h"

#include <pthread.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "core/time.h"
#include "db/db_sql.h"

static const char sql_lock[] = "UPDATE outbox_head SET last_id = last_id WHERE id = 1";
static const char sql_append[] =
    "INSERT INTO outbox (topic, subdistrict, created_at, payload) VALUES (?1, ?2, ?3, ?4) RETURNING id";

/* PostgreSQL: the same insert, and a NOTIFY jiayuan_outbox with the id that the server sends
 * to every listening node when (and only if) the transaction commits (push/listen.h). One
 * statement, so no extra round trip. */
static const char sql_append_pg[] =
    "WITH i AS (INSERT INTO outbox (topic, subdistrict, created_at, payload) VALUES (?1, ?2, ?3, ?4) RETURNING id)"
    " SELECT i.id FROM i CROSS JOIN LATERAL (SELECT pg_notify('" OUTBOX_CHANNEL "', i.id::text)) n";

static const char sql_head[] = "SELECT COALESCE(MAX(id), 0) FROM outbox";
static const char sql_read[] =
    "SELECT id, topic, subdistrict, created_at, payload FROM outbox WHERE id > ?1 ORDER BY id LIMIT ?2";

static pthread_mutex_t push_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t push_cv = PTHREAD_COND_INITIALIZER;
static uint64_t push_generation;

int
outbox_lock(struct db *db)
{
    struct db_stmt *st = NULL;
    bool row;
    int rc = db_prepare(db, sql_lock, &st);
    if (!rc)
        rc = db_step(st, &row);
    db_done(st);
    return rc;
}

int
outbox_append(struct db *db, const char *topic, const char *subdistrict, const char *payload, int64_t *id)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    if (!(rc = db_prepare(db, db_kind(db) == DB_POSTGRES ? sql_append_pg : sql_append, &st)) && !(rc = db_bind_text(st, 1, topic, strlen(topic))) &&
        !(rc = db_bind_text(st, 2, subdistrict, strlen(subdistrict))) &&
        !(rc = db_bind_i64(st, 3, time_now_ms())) &&
        !(rc = db_bind_text(st, 4, payload, strlen(payload))) && !(rc = db_step(st, &row)) && id)
        *id = row ? db_col_i64(st, 0) : 0;
    db_done(st);
    return rc;
}

#define OUTBOX_INSERT_HEAD "INSERT INTO outbox (topic, subdistrict, created_at, payload) VALUES"
static struct db_insert outbox_tiers[] = { DB_INSERT(OUTBOX_INSERT_HEAD, NULL, 0, 4, 64),
                                           DB_INSERT(OUTBOX_INSERT_HEAD, NULL, 0, 4, 8) };

struct outbox_many {
    const struct outbox_new *ev;
    int64_t now;
};

static int
outbox_bind_row(struct db_stmt *st, int first, size_t row, void *ctx)
{
    const struct outbox_many *m = ctx;
    const struct outbox_new *e = &m->ev[row];
    int rc;
    if ((rc = db_bind_text(st, first, e->topic, strlen(e->topic))) ||
        (rc = db_bind_text(st, first + 1, e->subdistrict, strlen(e->subdistrict))) ||
        (rc = db_bind_i64(st, first + 2, m->now)))
        return rc;
    return db_bind_text(st, first + 3, e->payload, strlen(e->payload));
}

/* PostgreSQL: one NOTIFY for the rows of a multi-row append (listeners read every row after
 * their cursor; the payload only wakes them), sent at commit like outbox_append's. */
static const char sql_notify_many[] = "SELECT pg_notify('" OUTBOX_CHANNEL "', 'many')";

int
outbox_append_many(struct db *db, const struct outbox_new *events, size_t n)
{
    struct outbox_many m = { events, time_now_ms() };
    struct db_stmt *st = NULL;
    bool row = false;
    int rc = db_insert_tiers(db, outbox_tiers, sizeof outbox_tiers / sizeof *outbox_tiers, n, NULL, outbox_bind_row,
                             &m, NULL);
    if (rc || !n || db_kind(db) != DB_POSTGRES)
        return rc;
    if (!(rc = db_prepare(db, sql_notify_many, &st)))
        rc = db_step(st, &row);
    db_done(st);
    return rc;
}

int
outbox_head(struct db *db, int64_t *id)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    *id = 0;
    if (!(rc = db_prepare(db, sql_head, &st)) && !(rc = db_step(st, &row)) && row)
        *id = db_col_i64(st, 0);
    db_done(st);
    return rc;
}

static const char *
outbox_col(struct arena *arena, struct db_stmt *st, int col)
{
    size_t n = 0;
    const char *s = db_col_text(st, col, &n);
    return arena_strndup(arena, s ? s : "", s ? n : 0);
}

int
outbox_read(struct db *db, int64_t after, size_t limit, struct arena *arena, struct outbox_event *out, size_t *n)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;

    *n = 0;
    if ((rc = db_prepare(db, sql_read, &st)) || (rc = db_bind_i64(st, 1, after)) ||
        (rc = db_bind_i64(st, 2, (int64_t)limit)))
        goto out;
    while (*n < limit && !(rc = db_step(st, &row)) && row) {
        struct outbox_event *e = &out[(*n)++];
        e->id = db_col_i64(st, 0);
        e->topic = outbox_col(arena, st, 1);
        e->subdistrict = outbox_col(arena, st, 2);
        e->created_at = db_col_i64(st, 3);
        e->payload = outbox_col(arena, st, 4);
    }
out:
    db_done(st);
    return rc;
}

void
push_kick(void)
{
    pthread_mutex_lock(&push_mu);
    push_generation++;
    pthread_cond_broadcast(&push_cv);
    pthread_mutex_unlock(&push_mu);
}

void
push_wait(int timeout_ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += timeout_ms / 1000;
    ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&push_mu);
    uint64_t gen = push_generation;
    while (gen == push_generation)
        if (pthread_cond_timedwait(&push_cv, &push_mu, &ts))
            break;
    pthread_mutex_unlock(&push_mu);
}
