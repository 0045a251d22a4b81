/* tests/e2e/e2e_backup.c - backup and restore drill on the real `jiayuan serve` (issue 12:
 * online, consistent, sealed backups; S1, S6, O2), on SQLite and PostgreSQL.
 *
 * A feeder thread ingests samples without pause (POST /api/v1/samples/batch) while the
 * test runs `jiayuan backup -o B1`. B1 is restored into a new place and `jiayuan restore`
 * proves it: every table's digest equals the snapshot's manifest, the audit chain
 * verifies. Then, with the feeder stopped, the test reads the live database's table
 * digests (`jiayuan backup --digests`), takes B2, restores it and requires the restored
 * database's digests to be the same lines - data, audit chain and counters alike - and
 * the samples table to hold every acknowledged record; `jiayuan verify` accepts it.
 * Neither file holds a plaintext ID number, name or an unsealed database header. A copy of
 * B2 with one flipped byte (in a chunk, then in the header) is refused and restores
 * nothing. On PostgreSQL the dump is of the server's schema: the test stops the server and
 * renames that schema aside while it restores, then puts it back (serve stays stopped).
 */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/idno.h"
#include "core/str.h"
#include "core/time.h"
#include "db/db.h"
#include "server.h"

#define SOURCE "bk"
#define PLAN_NO "BK-1"
#define BATCH 50
#define MIN_ACKED 300 /* acknowledged records before the backup starts */

static char g_token[128];

static int
prepare(struct server *srv)
{
    struct buf secret = BUF_INIT;
    int rc = server_add_token(srv, "bk-feeder", "samples.write,sites.write,sites.read,plans.write,plans.read",
                              &secret, NULL);
    if (rc == 0)
        str_copy(g_token, sizeof g_token, secret.data);
    buf_release(&secret);
    return rc == 0 && g_token[0] ? 0 : -1;
}

static void
rec_idno(size_t k, char out[19])
{
    char tmp[40];
    size_t q = k / 1000;
    snprintf(tmp, sizeof tmp, "110102%04d%02d%02d%03zu", 1950 + (int)(q / 336 % 60), 1 + (int)(q % 12),
             1 + (int)(q / 12 % 28), k % 1000);
    memcpy(out, tmp, 17);
    out[17] = idno_check_digit(out);
    out[18] = '\0';
}

struct feeder {
    pthread_t thread;
    struct server *srv;
    atomic_bool stop;
    atomic_size_t acked;
    atomic_size_t failed;
    int64_t base_ms;
};

static size_t
http_sink(char *p, size_t size, size_t n, void *arg)
{
    buf_add(arg, p, size * n);
    return size * n;
}

static void *
feeder_main(void *arg)
{
    struct feeder *f = arg;
    struct buf auth = BUF_INIT, url = BUF_INIT, body = BUF_INIT, resp = BUF_INIT;
    struct curl_slist *headers = NULL;
    CURL *curl = curl_easy_init();
    size_t next = 0;

    buf_printf(&auth, "Authorization: Bearer %s", g_token);
    buf_printf(&url, "%s/api/v1/samples/batch", f->srv->base);
    headers = curl_slist_append(NULL, auth.data);
    headers = curl_slist_append(headers, "Content-Type: application/json");
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_URL, url.data);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, http_sink);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &resp);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 120L);
    while (!atomic_load(&f->stop)) {
        long status = 0;
        buf_reset(&body);
        buf_addch(&body, '[');
        for (size_t i = 0; i < BATCH; i++) {
            char id[19];
            size_t k = next + i;
            rec_idno(k, id);
            buf_printf(&body,
                       "%s{\"source\":\"" SOURCE "\",\"external_id\":\"b%zu\",\"id_number\":\"%s\",\"name\":\"备份%zu\","
                       "\"phone\":\"139%08zu\",\"tube_code\":\"BK-%zu\",\"site_code\":\"BK-S1\",\"plan_no\":\"" PLAN_NO
                       "\",\"collected_at\":%lld,\"mix_size\":10,\"mix_index\":%zu}",
                       i ? "," : "", k, id, k % 100, k, k / 10, (long long)(f->base_ms - (int64_t)(k % 3) * 60000),
                       k % 10 + 1);
        }
        buf_addch(&body, ']');
        buf_reset(&resp);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)body.len);
        if (curl_easy_perform(curl) == CURLE_OK)
            curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        if (status != 200) {
            atomic_fetch_add(&f->failed, 1);
            break;
        }
        next += BATCH;
        atomic_store(&f->acked, next);
    }
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    buf_release(&auth);
    buf_release(&url);
    buf_release(&body);
    buf_release(&resp);
    return NULL;
}

static void
make_site_and_plan(struct server *srv)
{
    struct client c;
    struct resp r = RESP_INIT;
    int64_t now = time_now_ms();
    client_init(&c, srv);
    str_copy(c.bearer, sizeof c.bearer, g_token);
    client_pack(&c, "POST", "/api/v1/sites/batch", &r, "[{s:s, s:s, s:s, s:s, s:s, s:s, s:f, s:f}]", "source",
                SOURCE, "external_id", "s1", "code", "BK-S1", "name", "backup site", "type", "fixed",
                "subdistrict", "110102001", "lon", 116.36, "lat", 39.91);
    assert_int_equal(r.status, 200);
    client_pack(&c, "POST", "/api/v1/plans", &r, "{s:s, s:s, s:s, s:s, s:I, s:I}", "source", SOURCE,
                "external_id", "p1", "plan_no", PLAN_NO, "name", "backup round", "starts_at",
                (json_int_t)(now - 6 * 3600000), "ends_at", (json_int_t)(now + 3600000));
    assert_int_equal(r.status, 201);
    resp_release(&r);
    client_release(&c);
}

/* run_bin runs JIAYUAN_BIN with the arguments (NULL-terminated), stdout into out (may be
 * NULL), stderr to the server's log. Returns the exit status (-1 when it did not run). */
static int
run_bin(struct server *srv, struct buf *out, ...)
{
    const char *argv[24] = { getenv("JIAYUAN_BIN") };
    int n = 1, fds[2], status = 0;
    va_list ap;
    va_start(ap, out);
    while (n < 23 && (argv[n] = va_arg(ap, const char *)))
        n++;
    va_end(ap);
    argv[n] = NULL;
    if (pipe(fds) != 0)
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        int log = open(srv->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        dup2(fds[1], STDOUT_FILENO);
        if (log >= 0)
            dup2(log, STDERR_FILENO);
        close(fds[0]);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    char chunk[4096];
    ssize_t got;
    while ((got = read(fds[0], chunk, sizeof chunk)) > 0)
        if (out)
            buf_add(out, chunk, (size_t)got);
    close(fds[0]);
    if (pid < 0 || waitpid(pid, &status, 0) < 0)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The server's schema (PostgreSQL), from the search_path of its URL. */
static void
pg_schema(struct server *srv, char *out, size_t cap)
{
    const char *p = strstr(srv->db_url, "search_path%3D");
    assert_non_null(p);
    p += strlen("search_path%3D");
    snprintf(out, cap, "%.*s", (int)strcspn(p, "&"), p);
}

static void
pg_rename(struct server *srv, const char *from, const char *to)
{
    char sql[256];
    snprintf(sql, sizeof sql, "ALTER SCHEMA %s RENAME TO %s", from, to);
    assert_int_equal(db_exec(srv->pg, sql), 0);
}

static void
pg_drop(struct server *srv, const char *schema)
{
    char sql[256];
    snprintf(sql, sizeof sql, "DROP SCHEMA %s CASCADE", schema);
    assert_int_equal(db_exec(srv->pg, sql), 0);
}

static int64_t
pg_tables_in(struct server *srv, const char *schema)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int64_t n = -1;
    assert_int_equal(db_prepare(srv->pg, "SELECT count(*) FROM information_schema.tables WHERE table_schema = ?1",
                                &st), 0);
    db_bind_text(st, 1, schema, strlen(schema));
    if (db_step(st, &row) == 0 && row)
        n = db_col_i64(st, 0);
    db_done(st);
    return n;
}

static void
read_file(const char *path, struct buf *out)
{
    FILE *f = fopen(path, "rb");
    char chunk[65536];
    size_t got;
    assert_non_null(f);
    buf_init(out, (size_t)1 << 30);
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_add(out, chunk, got);
    fclose(f);
}

static bool
mem_has(const struct buf *b, const char *needle)
{
    return memmem(b->data, b->len, needle, strlen(needle)) != NULL;
}

static void
assert_sealed(const char *path)
{
    struct buf b = BUF_INIT;
    char id[19];
    read_file(path, &b);
    rec_idno(0, id);
    assert_false(mem_has(&b, id));
    assert_false(mem_has(&b, "备份"));
    assert_false(mem_has(&b, "SQLite format 3"));
    assert_false(mem_has(&b, "PGDMP"));
    assert_false(mem_has(&b, "CREATE TABLE"));
    assert_memory_equal(b.data, "JYBACKUP", 8);
    buf_release(&b);
}

static void
flip_copy(const char *from, const char *to, size_t at)
{
    struct buf b = BUF_INIT;
    read_file(from, &b);
    assert_true(at < b.len);
    b.data[at] ^= 0x01;
    FILE *f = fopen(to, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b.data, 1, b.len, f), b.len);
    fclose(f);
    buf_release(&b);
}

/* restore runs `jiayuan restore FILE --var DIR [--db URL] --keys KEK`. */
static int
restore(struct server *srv, const char *file, const char *dir, struct buf *out)
{
    char kek[1024];
    snprintf(kek, sizeof kek, "%s/keys/kek", srv->var);
    if (srv->db_url)
        return run_bin(srv, out, "restore", file, "--var", dir, "--db", srv->db_url, "--keys", kek, NULL);
    return run_bin(srv, out, "restore", file, "--var", dir, "--keys", kek, NULL);
}

static int
digests(struct server *srv, const char *dir, struct buf *out)
{
    char kek[1024];
    snprintf(kek, sizeof kek, "%s/keys/kek", srv->var);
    if (srv->db_url)
        return run_bin(srv, out, "backup", "--digests", "--var", dir, "--db", srv->db_url, "--keys", kek, NULL);
    return run_bin(srv, out, "backup", "--digests", "--var", dir, "--keys", kek, NULL);
}

static int
verify(struct server *srv, const char *dir, struct buf *out)
{
    char kek[1024];
    snprintf(kek, sizeof kek, "%s/keys/kek", srv->var);
    if (srv->db_url)
        return run_bin(srv, out, "verify", "--var", dir, "--db", srv->db_url, "--keys", kek, NULL);
    return run_bin(srv, out, "verify", "--var", dir, "--keys", kek, NULL);
}

static int64_t
digest_rows(const struct buf *d, const char *table)
{
    char key[96];
    snprintf(key, sizeof key, "table %s rows ", table);
    const char *p = strstr(d->data, key);
    return p ? strtoll(p + strlen(key), NULL, 10) : -1;
}

static void
wait_acked(struct feeder *f, size_t want)
{
    for (int i = 0; i < 6000 && atomic_load(&f->acked) < want && !atomic_load(&f->failed); i++)
        usleep(10000); /* a hang guard, not a measure */
    assert_int_equal(atomic_load(&f->failed), 0);
    assert_true(atomic_load(&f->acked) >= want);
}

static void
test_backup_restore(void **state)
{
    struct server *srv = *state;
    struct feeder f = { .srv = srv, .base_ms = time_now_ms() };
    struct buf out = BUF_INIT, d0 = BUF_INIT, d1 = BUF_INIT;
    char b1[1200], b2[1200], bad[1200], r1[1200], r2[1200], r3[1200], path[1300], schema[64] = "", aside[96];
    size_t acked_before, acked_after;

    snprintf(b1, sizeof b1, "%s/b1.jybak", srv->dir);
    snprintf(b2, sizeof b2, "%s/b2.jybak", srv->dir);
    snprintf(bad, sizeof bad, "%s/bad.jybak", srv->dir);
    snprintf(r1, sizeof r1, "%s/r1", srv->dir);
    snprintf(r2, sizeof r2, "%s/r2", srv->dir);
    snprintf(r3, sizeof r3, "%s/r3", srv->dir);
    make_site_and_plan(srv);

    /* 1. a backup under load */
    atomic_init(&f.stop, false);
    atomic_init(&f.acked, 0);
    atomic_init(&f.failed, 0);
    assert_int_equal(pthread_create(&f.thread, NULL, feeder_main, &f), 0);
    wait_acked(&f, MIN_ACKED);
    acked_before = atomic_load(&f.acked);
    assert_int_equal(server_cli(srv, NULL, &out, "backup", "-o", b1, NULL), 0);
    assert_non_null(strstr(out.data, "sm3="));
    wait_acked(&f, atomic_load(&f.acked) + 2 * BATCH); /* the load went on */
    acked_after = atomic_load(&f.acked);
    atomic_store(&f.stop, true);
    pthread_join(f.thread, NULL);
    assert_int_equal(atomic_load(&f.failed), 0);
    printf("  %s: backup under load: %zu records acknowledged before it, %zu after\n", srv->driver, acked_before,
           acked_after);

    /* 2. quiescent: the live digests, then B2 */
    assert_int_equal(digests(srv, srv->var, &d0), 0);
    assert_int_equal(digest_rows(&d0, "samples"), (int64_t)atomic_load(&f.acked));
    buf_reset(&out);
    assert_int_equal(server_cli(srv, NULL, &out, "backup", "-o", b2, NULL), 0);
    assert_int_not_equal(server_cli(srv, NULL, NULL, "backup", "-o", b2, NULL), 0); /* never overwritten */
    assert_sealed(b1);
    assert_sealed(b2);
    assert_int_equal(server_stop(srv), 0);
    if (srv->db_url) {
        pg_schema(srv, schema, sizeof schema);
        snprintf(aside, sizeof aside, "%s_orig", schema);
        pg_rename(srv, schema, aside);
    }

    /* 3. B1 restores and proves itself against its manifest */
    buf_reset(&out);
    assert_int_equal(restore(srv, b1, r1, &out), 0);
    assert_non_null(strstr(out.data, "every digest equals the backup's manifest"));
    assert_non_null(strstr(out.data, "audit chain intact"));
    int64_t rows1 = digest_rows(&out, "samples");
    assert_true(rows1 >= (int64_t)acked_before && rows1 <= (int64_t)acked_after);
    if (srv->db_url)
        pg_drop(srv, schema);

    /* 4. B2 restores to exactly the live digests; verify accepts it */
    buf_reset(&out);
    assert_int_equal(restore(srv, b2, r2, &out), 0);
    assert_int_equal(digests(srv, r2, &d1), 0);
    assert_string_equal(d0.data, d1.data);
    buf_reset(&out);
    assert_int_equal(verify(srv, r2, &out), 0);
    assert_non_null(strstr(out.data, "audit chain intact"));

    /* 5. tampering: a flipped byte in a chunk, then in the header, restores nothing */
    if (srv->db_url)
        pg_drop(srv, schema);
    flip_copy(b2, bad, 4096);
    assert_int_equal(restore(srv, bad, r3, NULL), 1);
    unlink(bad);
    flip_copy(b2, bad, 20);
    assert_int_equal(restore(srv, bad, r3, NULL), 1);
    snprintf(path, sizeof path, "%s/jiayuan.db", r3);
    assert_int_not_equal(access(path, F_OK), 0);
    if (srv->db_url) {
        assert_int_equal(pg_tables_in(srv, schema), 0);
        pg_rename(srv, aside, schema);
    }
    /* serve stays stopped: server_run's final stop then has nothing to do. */
    buf_release(&out);
    buf_release(&d0);
    buf_release(&d1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_backup_restore) };
    return server_run("backup", tests, sizeof tests / sizeof tests[0], prepare);
}
