/* tests/support/dbtest.c - see dbtest.h. Test support only: it builds the CREATE/DROP
 * SCHEMA statements with printf, which is safe because schema names are made here from
 * the process id and a counter (digits only), never from data.
 */
#include "dbtest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/err.h"

#define DBTEST_MAX_OPEN 64

struct dbtest_open {
    struct db *db;
    char *url;    /* URL of this fresh database */
    char *schema; /* PostgreSQL: t_<pid>_<n> */
    char *path;   /* SQLite: the file */
};

static const char *dbtest_list[DBTEST_MAX_URLS];
static size_t dbtest_nlist;
static bool dbtest_listed;
static char *dbtest_dir;       /* SQLite temporary directory */
static struct db *dbtest_admin; /* PostgreSQL connection that creates and drops schemas */
static char *dbtest_admin_url;
static struct dbtest_open dbtest_opens[DBTEST_MAX_OPEN];
static unsigned dbtest_counter;

static void
dbtest_die(const char *msg)
{
    fprintf(stderr, "dbtest: %s\n", msg);
    fflush(stderr);
    exit(1);
}

static void
dbtest_atexit(void)
{
    db_close(dbtest_admin);
    dbtest_admin = NULL;
    if (dbtest_dir && rmdir(dbtest_dir) && errno != ENOENT)
        fprintf(stderr, "dbtest: cannot remove %s: %s\n", dbtest_dir, strerror(errno));
    xfree(dbtest_dir);
    xfree(dbtest_admin_url);
    for (size_t i = 0; i < dbtest_nlist; i++)
        xfree((char *)dbtest_list[i]);
}

static bool
dbtest_is_pg(const char *url)
{
    return strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0;
}

size_t
dbtest_urls(const char **urls, size_t cap)
{
    if (!dbtest_listed) {
        const char *pg = getenv("JIAYUAN_TEST_PG");
        const char *req = getenv("JIAYUAN_REQUIRE_PG");
        bool require = req && strcmp(req, "1") == 0;
        struct buf b = BUF_INIT;
        char tmpl[] = "/tmp/jiayuan-dbtest-XXXXXX";

        dbtest_listed = true;
        atexit(dbtest_atexit);
        if (!mkdtemp(tmpl))
            dbtest_die("cannot create a temporary directory");
        dbtest_dir = xstrdup(tmpl);
        buf_printf(&b, "sqlite:%s/base.db", dbtest_dir);
        dbtest_list[dbtest_nlist++] = buf_detach(&b, NULL);

        if (pg && *pg) {
            struct db *db = NULL;
            if (!dbtest_is_pg(pg))
                dbtest_die("JIAYUAN_TEST_PG must be a postgres:// URL");
            /* lock_timeout: a test that failed with a connection still open must not
             * make DROP SCHEMA wait forever. */
            if (db_open(pg, NULL, &db) || db_ping(db) ||
                db_exec(db, "SET lock_timeout = '20s'")) {
                db_close(db);
                if (require)
                    dbtest_die("JIAYUAN_REQUIRE_PG=1 but the PostgreSQL in JIAYUAN_TEST_PG "
                               "is unreachable (run scripts/pg-test)");
                fprintf(stderr, "dbtest: PostgreSQL in JIAYUAN_TEST_PG is unreachable: "
                                "testing SQLite only\n");
            } else {
                dbtest_admin = db;
                dbtest_admin_url = xstrdup(pg);
                dbtest_list[dbtest_nlist++] = xstrdup(pg);
            }
        } else if (require) {
            dbtest_die("JIAYUAN_REQUIRE_PG=1 but JIAYUAN_TEST_PG is not set "
                       "(export JIAYUAN_TEST_PG=\"$(scripts/pg-test)\")");
        } else {
            fprintf(stderr, "dbtest: JIAYUAN_TEST_PG not set: testing SQLite only\n");
        }
    }
    size_t n = dbtest_nlist < cap ? dbtest_nlist : cap;
    for (size_t i = 0; i < n; i++)
        urls[i] = dbtest_list[i];
    return n;
}

static struct dbtest_open *
dbtest_slot(const struct db *db)
{
    for (size_t i = 0; i < DBTEST_MAX_OPEN; i++)
        if (dbtest_opens[i].db == db)
            return &dbtest_opens[i];
    return NULL;
}

static void
dbtest_forget(struct dbtest_open *o)
{
    xfree(o->url);
    xfree(o->schema);
    xfree(o->path);
    *o = (struct dbtest_open){ 0 };
}

static void
dbtest_remove(const char *path)
{
    static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };
    struct buf b = BUF_INIT;
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        buf_reset(&b);
        buf_printf(&b, "%s%s", path, suffixes[i]);
        if (unlink(b.data) && errno != ENOENT)
            fprintf(stderr, "dbtest: cannot remove %s: %s\n", b.data, strerror(errno));
    }
    buf_release(&b);
}

/* dbtest_release closes o's connection and deletes its database. */
static void
dbtest_release(struct dbtest_open *o)
{
    db_close(o->db);
    o->db = NULL;
    if (o->schema) {
        struct buf b = BUF_INIT;
        buf_printf(&b, "DROP SCHEMA %s CASCADE", o->schema);
        if (db_exec(dbtest_admin, b.data))
            fprintf(stderr, "dbtest: cannot drop schema %s\n", o->schema);
        buf_release(&b);
    }
    if (o->path)
        dbtest_remove(o->path);
    dbtest_forget(o);
}

static int
dbtest_open(const char *url, bool migrate, struct db **out)
{
    struct dbtest_open *o;
    struct buf b = BUF_INIT;
    unsigned n = ++dbtest_counter;
    int rc;

    *out = NULL;
    if (!dbtest_listed) {
        const char *tmp[DBTEST_MAX_URLS];
        dbtest_urls(tmp, DBTEST_MAX_URLS);
    }
    if (!(o = dbtest_slot(NULL)))
        dbtest_die("too many fresh databases open at once");
    if (dbtest_is_pg(url)) {
        if (!dbtest_admin || strcmp(url, dbtest_admin_url) != 0)
            dbtest_die("dbtest_open_fresh: url is not the one from dbtest_urls");
        buf_printf(&b, "t_%ld_%u", (long)getpid(), n);
        o->schema = buf_detach(&b, NULL);
        buf_printf(&b, "CREATE SCHEMA %s", o->schema);
        rc = db_exec(dbtest_admin, b.data);
        buf_reset(&b);
        if (rc) {
            dbtest_forget(o);
            goto out;
        }
        /* options=-c search_path=<schema>, percent-encoded as libpq URIs want. */
        buf_printf(&b, "%s%coptions=-c%%20search_path%%3D%s", url, strchr(url, '?') ? '&' : '?',
                   o->schema);
        o->url = buf_detach(&b, NULL);
    } else {
        buf_printf(&b, "%s/t%u.db", dbtest_dir, n);
        o->path = buf_detach(&b, NULL);
        dbtest_remove(o->path);
        buf_printf(&b, "sqlite:%s", o->path);
        o->url = buf_detach(&b, NULL);
    }
    if ((rc = db_open(o->url, NULL, &o->db)) || (migrate && (rc = db_migrate(o->db, NULL)))) {
        dbtest_release(o);
        goto out;
    }
    *out = o->db;
    rc = 0;
out:
    buf_release(&b);
    return rc;
}

int dbtest_open_fresh(const char *url, struct db **out) { return dbtest_open(url, true, out); }
int dbtest_open_empty(const char *url, struct db **out) { return dbtest_open(url, false, out); }

const char *
dbtest_url(const struct db *db)
{
    struct dbtest_open *o = db ? dbtest_slot(db) : NULL;
    return o ? o->url : NULL;
}

void
dbtest_close(struct db *db)
{
    struct dbtest_open *o;
    if (db && (o = dbtest_slot(db)))
        dbtest_release(o);
}

int
dbtest_setup(void **state)
{
    struct dbtest *t = *state;
    if (!t || dbtest_open_fresh(t->url, &t->db))
        return -1;
    t->db_url = dbtest_url(t->db);
    return 0;
}

int
dbtest_teardown(void **state)
{
    struct dbtest *t = *state;
    if (t) {
        dbtest_close(t->db);
        t->db = NULL;
        t->db_url = NULL;
    }
    return 0;
}

int
dbtest_run(const char *suite, const struct CMUnitTest *tests, size_t n)
{
    const char *urls[DBTEST_MAX_URLS];
    size_t nurls = dbtest_urls(urls, DBTEST_MAX_URLS);
    int failed = 0;

    for (size_t u = 0; u < nurls; u++) {
        struct dbtest t = { dbtest_is_pg(urls[u]) ? "postgres" : "sqlite", urls[u], NULL, NULL };
        struct CMUnitTest *group = xcalloc(n ? n : 1, sizeof *group);
        char **names = xcalloc(n ? n : 1, sizeof *names);
        struct buf b = BUF_INIT;

        for (size_t i = 0; i < n; i++) {
            group[i] = tests[i];
            buf_printf(&b, "%s/%s", t.driver, tests[i].name);
            names[i] = buf_detach(&b, NULL);
            group[i].name = names[i];
            group[i].initial_state = &t;
        }
        buf_printf(&b, "%s/%s", suite, t.driver);
        failed += _cmocka_run_group_tests(b.data, group, n, NULL, NULL);
        buf_release(&b);
        for (size_t i = 0; i < n; i++)
            xfree(names[i]);
        xfree(names);
        xfree(group);
    }
    return failed;
}
