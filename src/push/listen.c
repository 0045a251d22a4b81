/* push/listen.c - the node's LISTEN connection: other nodes' commits wake this node's
 * deliverers, settings changes reach it without a restart (issue 13; see listen.h). */
#include "push/listen.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/log.h"
#include "push/outbox.h"

static struct {
    pthread_t thread;
    bool started;
    atomic_bool running;
    struct db *db;
    char *url, *var_dir;
    void (*on_settings)(void *);
    void *arg;
    atomic_llong outbox, settings;
} lis;

static const char sql_listen[] = "LISTEN " OUTBOX_CHANNEL "; LISTEN " LISTEN_SETTINGS_CHANNEL;
static const char sql_notify_settings[] = "SELECT 1 FROM (SELECT pg_notify('" LISTEN_SETTINGS_CHANNEL "', '')) n";

/* listen_open connects and listens; 0 or the ERR_*. */
static int
listen_open(struct db **out)
{
    struct db *db = NULL;
    int rc = db_open(lis.url, lis.var_dir, &db);
    if (!rc && db_kind(db) != DB_POSTGRES)
        rc = ERR_INVALID;
    if (!rc)
        rc = db_exec(db, sql_listen);
    if (rc) {
        db_close(db);
        return rc;
    }
    *out = db;
    return 0;
}

static void
listen_on(void *arg, const char *channel, const char *payload)
{
    bool *settings = arg;
    (void)payload;
    if (strcmp(channel, LISTEN_SETTINGS_CHANNEL) == 0) {
        atomic_fetch_add(&lis.settings, 1);
        *settings = true;
    } else {
        atomic_fetch_add(&lis.outbox, 1);
        push_kick();
    }
}

static void
listen_sleep(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

static void *
listen_main(void *arg)
{
    (void)arg;
    while (atomic_load(&lis.running)) {
        bool settings = false;
        if (!lis.db) {
            if (listen_open(&lis.db)) {
                listen_sleep(LISTEN_RETRY_MS);
                continue;
            }
            log_info("push.listen.reconnected", NULL);
            push_kick(); /* whatever was committed while we were away */
            settings = true;
        }
        int rc = db_notify_wait(lis.db, 250, listen_on, &settings);
        if (rc) {
            log_warn("push.listen.lost", "error", err_name(rc), NULL);
            db_close(lis.db);
            lis.db = NULL;
        }
        if (settings && lis.on_settings)
            lis.on_settings(lis.arg);
    }
    return NULL;
}

int
push_listen_start(const char *url, const char *var_dir, void (*on_settings)(void *arg), void *arg)
{
    struct db *db = NULL;
    int rc;
    if (lis.started)
        return ERR_INTERNAL;
    if ((rc = db_open(url, var_dir, &db)))
        return rc;
    if (db_kind(db) != DB_POSTGRES) {
        db_close(db);
        return 0;
    }
    if ((rc = db_exec(db, sql_listen))) {
        db_close(db);
        return rc;
    }
    lis.db = db;
    lis.url = xstrdup(url);
    lis.var_dir = xstrdup(var_dir ? var_dir : "var");
    lis.on_settings = on_settings;
    lis.arg = arg;
    atomic_store(&lis.outbox, 0);
    atomic_store(&lis.settings, 0);
    atomic_store(&lis.running, true);
    if (pthread_create(&lis.thread, NULL, listen_main, NULL)) {
        atomic_store(&lis.running, false);
        push_listen_stop();
        return ERR_INTERNAL;
    }
    lis.started = true;
    return 0;
}

void
push_listen_stop(void)
{
    if (lis.started) {
        atomic_store(&lis.running, false);
        pthread_join(lis.thread, NULL);
        lis.started = false;
    }
    db_close(lis.db);
    lis.db = NULL;
    xfree(lis.url);
    xfree(lis.var_dir);
    lis.url = lis.var_dir = NULL;
}

void
push_listen_received(int64_t *outbox, int64_t *settings)
{
    *outbox = atomic_load(&lis.outbox);
    *settings = atomic_load(&lis.settings);
}

int
push_notify_settings(struct db *db)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;
    if (db_kind(db) != DB_POSTGRES)
        return 0;
    if (!(rc = db_prepare(db, sql_notify_settings, &st)))
        rc = db_step(st, &row);
    db_done(st);
    return rc;
}
