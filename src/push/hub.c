/* push/hub.c - outbox tail, in-memory ring and SSE subscribers (R2.x push; see hub.h). */
#include "push/hub.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/str.h"
#include "core/time.h"
#include "push/outbox.h"

struct hub_event {
    int64_t id;
    char *topic, *subdistrict, *payload;
};

struct hub_sub {
    struct hub_sub *next, *prev;
    char topics[HUB_TOPICS_MAX][48];
    size_t ntopics;
    char scope[16];
    char owner[32];
    int64_t last_id;
    int64_t last_write_ms;
    void (*wake)(void *);
    void *arg;
    struct buf pending; /* formatted bytes not yet handed out */
};

static struct {
    pthread_mutex_t mu;
    pthread_t thread;
    atomic_bool running;
    struct db_pool *pool;
    struct hub_event ring[HUB_RING];
    int64_t head;      /* newest id in the ring (0 = none yet) */
    int64_t oldest;    /* oldest id in the ring */
    struct hub_sub subs; /* list head (sentinel) */
    int64_t heartbeat_ms;
    int per_account;
} hub = { .mu = PTHREAD_MUTEX_INITIALIZER, .heartbeat_ms = HUB_HEARTBEAT_MS, .per_account = HUB_PER_ACCOUNT };

static const char sql_tail[] =
    "SELECT id, topic, subdistrict, payload FROM outbox WHERE id > ?1 ORDER BY id LIMIT ?2";
static const char sql_max[] = "SELECT COALESCE(MAX(id), 0) FROM outbox";

bool hub_running(void) { return atomic_load(&hub.running); }

void
hub_configure(int64_t heartbeat_ms, int per_account)
{
    hub.heartbeat_ms = heartbeat_ms >= 50 ? heartbeat_ms : HUB_HEARTBEAT_MS;
    hub.per_account = per_account >= 1 ? per_account : HUB_PER_ACCOUNT;
}

int64_t hub_heartbeat_ms(void) { return hub.heartbeat_ms; }

int64_t
hub_head(void)
{
    pthread_mutex_lock(&hub.mu);
    int64_t h = hub.head;
    pthread_mutex_unlock(&hub.mu);
    return h;
}

static void
hub_event_clear(struct hub_event *e)
{
    xfree(e->topic);
    xfree(e->subdistrict);
    xfree(e->payload);
    memset(e, 0, sizeof *e);
}

static char *
hub_col(struct db_stmt *st, int col)
{
    size_t n = 0;
    const char *s = db_col_text(st, col, &n);
    return xstrndup(s ? s : "", n);
}

/* hub_poll moves new outbox rows into the ring; returns how many. */
static size_t
hub_poll(void)
{
    struct db *db = db_pool_get(hub.pool);
    struct db_stmt *st = NULL;
    bool row = false;
    size_t added = 0;
    int64_t after = hub.head;
    if (db_prepare(db, sql_tail, &st) || db_bind_i64(st, 1, after) || db_bind_i64(st, 2, 1000))
        goto out;
    while (!db_step(st, &row) && row) {
        struct hub_event e = { db_col_i64(st, 0), hub_col(st, 1), hub_col(st, 2), hub_col(st, 3) };
        pthread_mutex_lock(&hub.mu);
        struct hub_event *slot = &hub.ring[e.id % HUB_RING];
        hub_event_clear(slot);
        *slot = e;
        hub.head = e.id;
        if (!hub.oldest || hub.head - hub.oldest >= HUB_RING)
            hub.oldest = hub.head - HUB_RING + 1 > 1 ? hub.head - HUB_RING + 1 : 1;
        pthread_mutex_unlock(&hub.mu);
        added++;
    }
out:
    db_done(st);
    db_pool_put(hub.pool, db);
    return added;
}

/* hub_wake_all calls every subscriber's wake (due: all, or only those idle for a heartbeat). */
static void
hub_wake_all(bool only_idle)
{
    int64_t now = time_now_ms();
    pthread_mutex_lock(&hub.mu);
    for (struct hub_sub *s = hub.subs.next; s && s != &hub.subs; s = s->next)
        if (!only_idle || now - s->last_write_ms >= hub.heartbeat_ms)
            s->wake(s->arg);
    pthread_mutex_unlock(&hub.mu);
}

static void *
hub_main(void *arg)
{
    (void)arg;
    while (atomic_load(&hub.running)) {
        push_wait(hub.heartbeat_ms < 1000 ? (int)hub.heartbeat_ms : 1000);
        size_t added = 0, n;
        while ((n = hub_poll()) > 0)
            added += n;
        hub_wake_all(added == 0);
    }
    return NULL;
}

int
hub_start(struct db_pool *pool)
{
    struct db *db = db_pool_get(pool);
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    hub.pool = pool;
    hub.subs.next = hub.subs.prev = &hub.subs;
    /* start at the current end: older events are read from the table on resume */
    if (!(rc = db_prepare(db, sql_max, &st)) && !(rc = db_step(st, &row)) && row)
        hub.head = hub.oldest = db_col_i64(st, 0);
    db_done(st);
    db_pool_put(pool, db);
    if (rc)
        return rc;
    hub.oldest = hub.head + 1;
    hub.running = true;
    if (pthread_create(&hub.thread, NULL, hub_main, NULL)) {
        hub.running = false;
        return ERR_INTERNAL;
    }
    return 0;
}

void
hub_stop(void)
{
    if (!hub.running)
        return;
    atomic_store(&hub.running, false);
    push_kick();
    pthread_join(hub.thread, NULL);
    hub_wake_all(false);
    for (size_t i = 0; i < HUB_RING; i++)
        hub_event_clear(&hub.ring[i]);
}

int
hub_subscribe(const char *topics, const char *scope, const char *owner, int64_t last_id,
              void (*wake)(void *), void *arg, struct hub_sub **out)
{
    struct hub_sub *s = xcalloc(1, sizeof *s);
    const char *p = topics ? topics : "";
    while (*p) {
        size_t n = strcspn(p, ",");
        if (n == 0 || n >= sizeof s->topics[0] || s->ntopics == HUB_TOPICS_MAX) {
            xfree(s);
            return ERR_INVALID;
        }
        for (size_t i = 0; i < n; i++) {
            char c = p[i];
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_')) {
                xfree(s);
                return ERR_INVALID;
            }
        }
        memcpy(s->topics[s->ntopics], p, n);
        s->topics[s->ntopics++][n] = '\0';
        p += n + (p[n] == ',');
    }
    str_copy(s->scope, sizeof s->scope, scope ? scope : "");
    str_copy(s->owner, sizeof s->owner, owner ? owner : "");
    s->wake = wake;
    s->arg = arg;
    s->last_write_ms = time_now_ms();
    buf_init(&s->pending, 1 << 20);
    pthread_mutex_lock(&hub.mu);
    int held = 0;
    for (struct hub_sub *o = hub.subs.next; s->owner[0] && o && o != &hub.subs; o = o->next)
        held += strcmp(o->owner, s->owner) == 0;
    if (held >= hub.per_account) {
        pthread_mutex_unlock(&hub.mu);
        buf_release(&s->pending);
        xfree(s);
        return ERR_RATE;
    }
    s->last_id = last_id < 0 ? hub.head : last_id;
    s->next = hub.subs.next;
    s->prev = &hub.subs;
    hub.subs.next->prev = s;
    hub.subs.next = s;
    pthread_mutex_unlock(&hub.mu);
    *out = s;
    return 0;
}

void
hub_unsubscribe(struct hub_sub *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&hub.mu);
    s->prev->next = s->next;
    s->next->prev = s->prev;
    pthread_mutex_unlock(&hub.mu);
    buf_release(&s->pending);
    xfree(s);
}

static bool
hub_matches(const struct hub_sub *s, const char *topic, const char *subdistrict)
{
    /* a scoped reader: its own subdistrict only; district-wide events ("") are not its */
    if (s->scope[0] && strcmp(s->scope, subdistrict) != 0)
        return false;
    if (!s->ntopics)
        return true;
    for (size_t i = 0; i < s->ntopics; i++) {
        size_t n = strlen(s->topics[i]);
        if (strncmp(topic, s->topics[i], n) == 0 && (topic[n] == '\0' || topic[n] == '.'))
            return true;
    }
    return false;
}

static void
hub_format(struct buf *b, int64_t id, const char *topic, const char *payload)
{
    buf_printf(b, "id: %lld\nevent: %s\ndata: %s\n\n", (long long)id, topic, payload);
}

/* hub_backfill reads events after s->last_id from the table (a client far behind). */
static void
hub_backfill(struct hub_sub *s, int64_t upto)
{
    struct db *db = db_pool_get(hub.pool);
    struct db_stmt *st = NULL;
    bool row = false;
    if (!db_prepare(db, sql_tail, &st) && !db_bind_i64(st, 1, s->last_id) && !db_bind_i64(st, 2, 500)) {
        while (!db_step(st, &row) && row) {
            int64_t id = db_col_i64(st, 0);
            size_t n = 0;
            if (id > upto)
                break;
            const char *topic = db_col_text(st, 1, &n), *sub = db_col_text(st, 2, &n);
            char t[64], sd[16];
            str_copy(t, sizeof t, topic ? topic : "");
            str_copy(sd, sizeof sd, sub ? sub : "");
            if (hub_matches(s, t, sd))
                hub_format(&s->pending, id, t, db_col_text(st, 3, &n));
            s->last_id = id;
        }
    }
    db_done(st);
    db_pool_put(hub.pool, db);
}

size_t
hub_read(struct hub_sub *s, char *buf, size_t max)
{
    int64_t now = time_now_ms();
    if (!s->pending.len) {
        pthread_mutex_lock(&hub.mu);
        int64_t head = hub.head, oldest = hub.oldest;
        if (s->last_id + 1 >= oldest) {
            for (int64_t id = s->last_id + 1; id <= head && s->pending.len < 256 * 1024; id++) {
                const struct hub_event *e = &hub.ring[id % HUB_RING];
                if (e->id != id)
                    break; /* overwritten meanwhile: the next read backfills from the table */
                if (hub_matches(s, e->topic, e->subdistrict))
                    hub_format(&s->pending, id, e->topic, e->payload);
                s->last_id = id;
            }
            pthread_mutex_unlock(&hub.mu);
        } else {
            pthread_mutex_unlock(&hub.mu);
            hub_backfill(s, head);
        }
        if (!s->pending.len && now - s->last_write_ms >= hub.heartbeat_ms)
            buf_adds(&s->pending, ": heartbeat\n\n");
    }
    if (!s->pending.len)
        return 0;
    size_t n = s->pending.len < max ? s->pending.len : max;
    memcpy(buf, s->pending.data, n);
    memmove(s->pending.data, s->pending.data + n, s->pending.len - n);
    s->pending.len -= n;
    s->pending.data[s->pending.len] = '\0';
    s->last_write_ms = now;
    return n;
}
