/* tests/e2e/e2e_crash.c - crash reliability of ingest (issue 3 "Reliability tests": kill -9
 * in the middle of a sustained ingest; R2.4 samples, R2.5 idempotency by (source,
 * external_id), R2.7 counters kept in the ingest transaction, S6 the audit chain), on the
 * real `jiayuan serve`, SQLite and PostgreSQL.
 *
 * Sites and a plan are made through the API. Then feeder threads (two posting batches to
 * POST /api/v1/samples/batch, two posting single samples to POST /api/v1/samples, each on
 * its own kept-alive connection) ingest without pause while the test kills the server with
 * SIGKILL at a moment of its choosing, with requests in flight. Every record a feeder sent
 * is either acknowledged (a 2xx answer saying accepted or duplicate) or unknown (no
 * answer: it was in flight at the kill). The server is started again on the same database
 * and the test checks, reading the database directly:
 *   - every acknowledged record is stored (lost = 0), none twice, and nothing is stored
 *     that was never sent;
 *   - the counters equal a recount from the raw rows: stat_scans.n per (plan, subdistrict,
 *     community, site, hour) = live samples of that key; stat_plan.sampled per (plan,
 *     subdistrict) = live samples with that plan;
 *   - `jiayuan verify` finds the audit chain intact.
 * Then it re-sends every request exactly as first sent: every acknowledged record, and
 * every unknown one that the database already held, must answer "duplicate"; every unknown
 * one the database did not hold must answer "accepted". Afterwards the database holds
 * every record sent exactly once, and the counters and the audit chain are checked again.
 * The figures (acknowledged, in flight, committed without an answer, lost) are printed.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/idno.h"
#include "core/str.h"
#include "core/time.h"
#include "db/db.h"
#include "server.h"

#define SUB_A "110102001"
#define COMM_A "110102001012" /* a community of SUB_A */
#define SUB_B "110102003"
#define SOURCE "crash"
#define PLAN_NO "CR-1"
#define FEEDERS 4            /* 0, 1: batches; 2, 3: singles */
#define BATCH 100            /* samples per batch request */
#define MAX_RECS 400000      /* per feeder */
#define INGEST_MIN_MS 2500   /* ingest at least this long before the kill */
#define INGEST_MAX_MS 20000  /* give up waiting for acknowledgements after this */
#define MIN_ACKED 200        /* acknowledged records wanted before the kill */
#define RESEND_SINGLES 200   /* the newest single requests are re-sent one by one */

static const char *const site_codes[] = { "CR-S1", "CR-S2", "CR-S3" };

enum rec_state { REC_UNSENT, REC_UNKNOWN, REC_ACKED };

struct span {
    size_t first, n; /* records [first, first + n) went in one request */
};

struct feeder {
    pthread_t thread;
    struct server *srv;
    const char *token;
    int idx;
    bool batch;
    int64_t base_ms; /* collected_at of record n is base_ms - (n % 3) h - idx s */
    atomic_bool *stop;
    unsigned char *state; /* enum rec_state per record */
    size_t sent;
    struct span *spans;
    size_t nspans, capspans;
    atomic_size_t acked;
    size_t unknown;
    char error[320]; /* a protocol failure (not the kill), for the main thread to report */
};

static char g_token[128];

static int
prepare(struct server *srv)
{
    struct buf secret = BUF_INIT;
    int rc = server_add_token(srv, "crash-feeder", "samples.write,sites.write,sites.read,plans.write,plans.read",
                              &secret, NULL);
    if (rc == 0)
        str_copy(g_token, sizeof g_token, secret.data);
    buf_release(&secret);
    return rc == 0 && g_token[0] ? 0 : -1;
}

/* --- records ------------------------------------------------------------------------ */

/* rec_idno writes a valid ID number, distinct for every (feeder, n). */
static void
rec_idno(int idx, size_t n, char out[19])
{
    char tmp[40];
    size_t k = (size_t)idx * MAX_RECS + n, q = k / 1000; /* distinct for k < 20 M */
    snprintf(tmp, sizeof tmp, "110102%04d%02d%02d%03zu", 1950 + (int)(q / 336 % 60), 1 + (int)(q % 12),
             1 + (int)(q / 12 % 28), k % 1000);
    memcpy(out, tmp, 17);
    out[17] = idno_check_digit(out);
    out[18] = '\0';
}

/* rec_json appends the JSON object of record n of feeder f; the same bytes every time. */
static void
rec_json(const struct feeder *f, size_t n, struct buf *b)
{
    char id[19];
    int64_t at = f->base_ms - (int64_t)(n % 3) * 3600000 - f->idx * 1000;
    rec_idno(f->idx, n, id);
    buf_printf(b,
               "{\"source\":\"" SOURCE "\",\"external_id\":\"t%d-%zu\",\"id_number\":\"%s\",\"name\":\"测试%zu\","
               "\"phone\":\"139%08zu\",\"tube_code\":\"CT%d-%zu\",\"site_code\":\"%s\",%s"
               "\"collected_at\":%lld,\"mix_size\":10,\"mix_index\":%zu}",
               f->idx, n, id, n % 100, n % 100000000, f->idx, n / 10, site_codes[(n / 10) % 3],
               n % 4 == 3 ? "" : "\"plan_no\":\"" PLAN_NO "\",", (long long)at, n % 10 + 1);
}

static void
span_body(const struct feeder *f, const struct span *s, bool as_array, struct buf *b)
{
    buf_reset(b);
    if (as_array)
        buf_addch(b, '[');
    for (size_t i = 0; i < s->n; i++) {
        if (i)
            buf_addch(b, ',');
        rec_json(f, s->first + i, b);
    }
    if (as_array)
        buf_addch(b, ']');
}

/* --- HTTP from the feeder threads (curl easy handles of their own: the server.h client
 * records responses in the server and is for the main thread only) --------------------- */

static size_t
http_write(char *p, size_t size, size_t n, void *arg)
{
    buf_add(arg, p, size * n);
    return size * n;
}

struct http {
    CURL *curl;
    struct curl_slist *headers;
    struct buf resp;
};

static void
http_init(struct http *h, const char *token)
{
    struct buf auth = BUF_INIT;
    buf_printf(&auth, "Authorization: Bearer %s", token);
    h->curl = curl_easy_init();
    h->headers = curl_slist_append(NULL, auth.data);
    h->headers = curl_slist_append(h->headers, "Content-Type: application/json");
    h->resp = (struct buf)BUF_INIT;
    curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, h->headers);
    curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, http_write);
    curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, &h->resp);
    curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h->curl, CURLOPT_TIMEOUT, 120L);
    buf_release(&auth);
}

static void
http_release(struct http *h)
{
    curl_slist_free_all(h->headers);
    curl_easy_cleanup(h->curl);
    buf_release(&h->resp);
}

/* http_post returns the status, 0 when no response arrived. */
static long
http_post(struct http *h, const char *base, const char *path, const struct buf *body)
{
    struct buf url = BUF_INIT;
    long status = 0;
    buf_printf(&url, "%s%s", base, path);
    buf_reset(&h->resp);
    curl_easy_setopt(h->curl, CURLOPT_URL, url.data);
    curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, body->data);
    curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE, (long)body->len);
    if (curl_easy_perform(h->curl) == CURLE_OK)
        curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &status);
    buf_release(&url);
    return status;
}

/* http_metric GETs /metrics and returns the value of the sample named name (a metric
 * without labels), or -1 when it is missing. */
static long long
http_metric(struct http *h, const char *base, const char *name)
{
    struct buf url = BUF_INIT;
    long long v = -1;
    buf_printf(&url, "%s/metrics", base);
    buf_reset(&h->resp);
    curl_easy_setopt(h->curl, CURLOPT_URL, url.data);
    curl_easy_setopt(h->curl, CURLOPT_HTTPGET, 1L);
    if (curl_easy_perform(h->curl) == CURLE_OK && h->resp.data) {
        size_t n = strlen(name);
        for (const char *p = h->resp.data; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
            if (strncmp(p, name, n) == 0 && p[n] == ' ') {
                v = strtoll(p + n + 1, NULL, 10);
                break;
            }
        }
    }
    buf_release(&url);
    return v;
}

/* The statuses of a response: a batch's "items", or a single's 201/200. Each of the n
 * entries becomes 'a' (accepted), 'd' (duplicate) or '?' (anything else). Returns 0, or
 * -1 when the response is not what the API promises. */
static int
http_outcomes(long status, const struct buf *resp, bool batch, size_t n, char *out)
{
    json_t *v = json_loadb(resp->data, resp->len, 0, NULL), *items, *it;
    int rc = -1;
    size_t i;
    if (!v)
        return -1;
    if (batch) {
        items = json_object_get(v, "items");
        if (status != 200 || json_array_size(items) != n)
            goto out;
        json_array_foreach(items, i, it) {
            const char *s = json_string_value(json_object_get(it, "status"));
            out[i] = s && !strcmp(s, "accepted") ? 'a' : s && !strcmp(s, "duplicate") ? 'd' : '?';
        }
    } else {
        const char *s = json_string_value(json_object_get(v, "status"));
        if (n != 1)
            goto out;
        out[0] = status == 201 && s && !strcmp(s, "accepted")    ? 'a'
                 : status == 200 && s && !strcmp(s, "duplicate") ? 'd'
                                                                 : '?';
    }
    rc = 0;
out:
    json_decref(v);
    return rc;
}

static void *
feeder_main(void *arg)
{
    struct feeder *f = arg;
    struct http h;
    struct buf body = BUF_INIT;
    char *outcome = xmalloc(BATCH);

    http_init(&h, f->token);
    while (!atomic_load(f->stop)) {
        struct span s = { f->sent, f->batch ? BATCH : 1 };
        if (s.first + s.n > MAX_RECS)
            break;
        if (f->nspans == f->capspans) {
            f->capspans = f->capspans ? f->capspans * 2 : 1024;
            f->spans = xrealloc(f->spans, f->capspans * sizeof *f->spans);
        }
        f->spans[f->nspans++] = s;
        span_body(f, &s, f->batch, &body);
        for (size_t i = 0; i < s.n; i++)
            f->state[s.first + i] = REC_UNKNOWN;
        f->sent += s.n;
        long status = http_post(&h, f->srv->base, f->batch ? "/api/v1/samples/batch" : "/api/v1/samples", &body);
        if (status == 0) { /* no answer: the server is gone; these records stay unknown */
            f->unknown += s.n;
            break;
        }
        if (http_outcomes(status, &h.resp, f->batch, s.n, outcome)) {
            snprintf(f->error, sizeof f->error, "feeder %d: status %ld: %.250s", f->idx, status, h.resp.data);
            break;
        }
        for (size_t i = 0; i < s.n; i++) {
            if (outcome[i] == '?') {
                snprintf(f->error, sizeof f->error, "feeder %d: record %zu not accepted: %.250s", f->idx,
                         s.first + i, h.resp.data);
                goto out;
            }
            f->state[s.first + i] = REC_ACKED;
        }
        atomic_fetch_add(&f->acked, s.n);
    }
out:
    xfree(outcome);
    buf_release(&body);
    http_release(&h);
    return NULL;
}

/* --- checks on the database ----------------------------------------------------------- */

/* What the database holds, per feeder: held[idx][n] = number of rows of record n. */
struct held {
    unsigned char *n[FEEDERS];
    int64_t rows, distinct, strays; /* strays: rows that are no record of any feeder */
};

static void
held_release(struct held *h)
{
    for (int i = 0; i < FEEDERS; i++)
        xfree(h->n[i]);
    memset(h, 0, sizeof *h);
}

static const char sql_rows[] = "SELECT external_id FROM samples WHERE source = '" SOURCE "'";
static const char sql_distinct[] =
    "SELECT count(*), count(DISTINCT external_id) FROM samples WHERE source = '" SOURCE "'";

static void
held_load(struct server *srv, struct held *h)
{
    struct db *db = NULL;
    struct db_stmt *st = NULL;
    bool row = false;

    memset(h, 0, sizeof *h);
    for (int i = 0; i < FEEDERS; i++)
        h->n[i] = xcalloc(MAX_RECS, 1);
    assert_int_equal(server_db_open(srv, &db), 0);
    assert_int_equal(db_prepare(db, sql_rows, &st), 0);
    while (!db_step(st, &row) && row) {
        size_t len = 0;
        const char *ext = db_col_text(st, 0, &len);
        char text[64];
        int64_t idx = -1, n = -1;
        char *dash;
        snprintf(text, sizeof text, "%.*s", (int)len, ext ? ext : "");
        h->rows++;
        dash = strchr(text, '-');
        if (text[0] != 't' || !dash)
            goto stray;
        *dash = '\0';
        if (cstr_to_i64(text + 1, &idx, 0, FEEDERS - 1) || cstr_to_i64(dash + 1, &n, 0, MAX_RECS - 1))
            goto stray;
        if (h->n[idx][n] < 255)
            h->n[idx][n]++;
        continue;
    stray:
        h->strays++;
    }
    db_done(st);
    st = NULL;
    assert_int_equal(db_prepare(db, sql_distinct, &st), 0);
    assert_int_equal(db_step(st, &row), 0);
    assert_true(row);
    assert_int_equal(db_col_i64(st, 0), h->rows);
    h->distinct = db_col_i64(st, 1);
    db_done(st);
    db_close(db);
}

/* Counters against a recount from raw rows, both ways round (EXCEPT works on both
 * drivers). Each query returns the rows of one side that the other side lacks. */
static const char *const sql_counter_diffs[] = {
    "SELECT count(*) FROM (SELECT plan_id, subdistrict, community, site_id, hour, n FROM stat_scans WHERE n <> 0"
    " EXCEPT SELECT COALESCE(plan_id, 0), subdistrict, COALESCE(community, ''), site_id,"
    " collected_at - collected_at % 3600000, count(*) FROM samples WHERE deleted_at = 0"
    " GROUP BY 1, 2, 3, 4, 5) d",
    "SELECT count(*) FROM (SELECT COALESCE(plan_id, 0), subdistrict, COALESCE(community, ''), site_id,"
    " collected_at - collected_at % 3600000, count(*) FROM samples WHERE deleted_at = 0 GROUP BY 1, 2, 3, 4, 5"
    " EXCEPT SELECT plan_id, subdistrict, community, site_id, hour, n FROM stat_scans WHERE n <> 0) d",
    "SELECT count(*) FROM (SELECT plan_id, subdistrict, sampled FROM stat_plan WHERE industry = '' AND sampled <> 0"
    " EXCEPT SELECT plan_id, subdistrict, count(*) FROM samples WHERE deleted_at = 0 AND plan_id IS NOT NULL"
    " GROUP BY plan_id, subdistrict) d",
    "SELECT count(*) FROM (SELECT plan_id, subdistrict, count(*) FROM samples WHERE deleted_at = 0"
    " AND plan_id IS NOT NULL GROUP BY plan_id, subdistrict"
    " EXCEPT SELECT plan_id, subdistrict, sampled FROM stat_plan WHERE industry = '' AND sampled <> 0) d",
};
static const char sql_scan_keys[] =
    "SELECT count(*), CAST(COALESCE(sum(n), 0) AS BIGINT) FROM stat_scans WHERE n <> 0";
static const char sql_live[] = "SELECT count(*) FROM samples WHERE deleted_at = 0";

static int64_t
query_i64(struct db *db, const char *sql, int col)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int64_t v;
    assert_int_equal(db_prepare(db, sql, &st), 0);
    assert_int_equal(db_step(st, &row), 0);
    assert_true(row);
    v = db_col_i64(st, col);
    db_done(st);
    return v;
}

static void
check_counters(struct server *srv, const char *when)
{
    struct db *db = NULL;
    int64_t keys, sum, live;
    assert_int_equal(server_db_open(srv, &db), 0);
    for (size_t i = 0; i < sizeof sql_counter_diffs / sizeof *sql_counter_diffs; i++) {
        int64_t diff = query_i64(db, sql_counter_diffs[i], 0);
        if (diff)
            fail_msg("%s (%s): counters differ from a recount of the raw rows: %lld rows in query %zu", when,
                     srv->driver, (long long)diff, i);
    }
    keys = query_i64(db, sql_scan_keys, 0);
    sum = query_i64(db, sql_scan_keys, 1);
    live = query_i64(db, sql_live, 0);
    db_close(db);
    assert_int_equal(sum, live);
    printf("  %s: counters equal the recount (%lld stat_scans keys summing to %lld live samples)\n", when,
           (long long)keys, (long long)live);
}

static void
check_verify(struct server *srv, const char *when)
{
    struct buf out = BUF_INIT;
    int status = server_cli(srv, NULL, &out, "verify", NULL);
    if (status != 0 || !strstr(out.data, "audit chain intact"))
        fail_msg("%s (%s): jiayuan verify exited %d: %.300s", when, srv->driver, status, out.data);
    printf("  %s: %.*s\n", when, (int)strcspn(out.data, "\n"), out.data);
    buf_release(&out);
}

/* --- the test ------------------------------------------------------------------------- */

/* print_log_problems shows the server's warnings and errors (the log holds no personal
 * data), e.g. the database error behind an unexpected 503. */
static void
print_log_problems(struct server *srv)
{
    struct buf log = BUF_INIT;
    static const char warn[] = "\"level\":\"warn\"", error[] = "\"level\":\"error\"";
    int shown = 0;
    server_log(srv, &log);
    for (char *p = log.data; *p && shown < 8;) {
        size_t n = strcspn(p, "\n");
        if (memmem(p, n, warn, sizeof warn - 1) || memmem(p, n, error, sizeof error - 1)) {
            fprintf(stderr, "  server log: %.*s\n", (int)(n < 400 ? n : 400), p);
            shown++;
        }
        p += n + (p[n] == '\n');
    }
    buf_release(&log);
}

static void
make_sites_and_plan(struct server *srv)
{
    struct client c;
    struct resp r = RESP_INIT;
    int64_t now = time_now_ms();
    client_init(&c, srv);
    str_copy(c.bearer, sizeof c.bearer, g_token);
    client_pack(&c, "POST", "/api/v1/sites/batch", &r,
                "[{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:f, s:f},"
                " {s:s, s:s, s:s, s:s, s:s, s:s, s:f, s:f},"
                " {s:s, s:s, s:s, s:s, s:s, s:s, s:f, s:f}]",
                "source", SOURCE, "external_id", "s1", "code", site_codes[0], "name", "crash site 1", "type", "fixed",
                "subdistrict", SUB_A, "community", COMM_A, "lon", 116.36, "lat", 39.91, /**/
                "source", SOURCE, "external_id", "s2", "code", site_codes[1], "name", "crash site 2", "type",
                "temporary", "subdistrict", SUB_A, "lon", 116.37, "lat", 39.92, /**/
                "source", SOURCE, "external_id", "s3", "code", site_codes[2], "name", "crash site 3", "type", "mobile",
                "subdistrict", SUB_B, "lon", 116.38, "lat", 39.93);
    assert_resp(&r, 200, NULL);
    assert_int_equal(resp_int(&r, "accepted"), 3);
    client_pack(&c, "POST", "/api/v1/plans", &r, "{s:s, s:s, s:s, s:s, s:I, s:I}", "source", SOURCE,
                "external_id", "p1", "plan_no", PLAN_NO, "name", "crash round", "starts_at",
                (json_int_t)(now - 6 * 3600000), "ends_at", (json_int_t)(now + 3600000));
    assert_resp(&r, 201, NULL);
    resp_release(&r);
    client_release(&c);
}

static void
test_kill_during_ingest(void **state)
{
    struct server *srv = *state;
    struct feeder f[FEEDERS];
    atomic_bool stop = false;
    struct held h1, h2;
    size_t acked = 0, unknown = 0, sent = 0, committed_unacked = 0, lost = 0, twice = 0, never_sent = 0;
    size_t dup_answers = 0, acc_answers = 0, wrong = 0, requests = 0;
    int64_t t0, t_kill, status = 0;
    struct buf body = BUF_INIT;
    char *outcome = xmalloc(BATCH);
    int wst;

    make_sites_and_plan(srv);

    /* 1. sustained ingest from FEEDERS threads */
    int64_t base = time_now_ms() - 60000;
    for (int i = 0; i < FEEDERS; i++) {
        f[i] = (struct feeder){ .srv = srv, .token = g_token, .idx = i, .batch = i < 2, .base_ms = base,
                                .stop = &stop };
        f[i].state = xcalloc(MAX_RECS, 1);
        atomic_init(&f[i].acked, 0);
        assert_int_equal(pthread_create(&f[i].thread, NULL, feeder_main, &f[i]), 0);
    }
    t0 = time_mono_us();
    for (;;) {
        size_t a = 0, singles = 0;
        for (int i = 0; i < FEEDERS; i++) {
            a += atomic_load(&f[i].acked);
            if (!f[i].batch)
                singles += atomic_load(&f[i].acked);
        }
        int64_t ms = (time_mono_us() - t0) / 1000;
        if (ms >= INGEST_MIN_MS && a >= MIN_ACKED && singles > 0)
            break;
        if (ms >= INGEST_MAX_MS)
            break;
        usleep(20000);
    }
    /* 2. kill -9 mid-stream: the feeders are in the middle of requests */
    usleep((useconds_t)(time_mono_us() % 50000));
    t_kill = time_mono_us();
    assert_int_equal(kill(srv->pid, SIGKILL), 0);
    while (waitpid(srv->pid, &wst, 0) < 0 && errno == EINTR)
        ;
    srv->pid = 0;
    atomic_store(&stop, true);
    for (int i = 0; i < FEEDERS; i++)
        pthread_join(f[i].thread, NULL);
    for (int i = 0; i < FEEDERS; i++) {
        if (f[i].error[0]) {
            print_log_problems(srv);
            fail_msg("%s: %s", srv->driver, f[i].error);
        }
        acked += atomic_load(&f[i].acked);
        unknown += f[i].unknown;
        sent += f[i].sent;
    }
    assert_true(WIFSIGNALED(wst) && WTERMSIG(wst) == SIGKILL);
    assert_true(acked >= MIN_ACKED);
    printf("  %s: killed serve with SIGKILL after %.1f s of ingest: %zu records sent, %zu acknowledged,"
           " %zu in flight without an answer\n",
           srv->driver, (double)(t_kill - t0) / 1e6, sent, acked, unknown);

    /* 3. restart on the same database and check */
    assert_int_equal(server_start(srv), 0);
    held_load(srv, &h1);
    for (int i = 0; i < FEEDERS; i++) {
        for (size_t n = 0; n < MAX_RECS; n++) {
            unsigned char c = h1.n[i][n];
            if (c > 1)
                twice++;
            if (f[i].state[n] == REC_ACKED && c == 0)
                lost++;
            if (f[i].state[n] == REC_UNSENT && c > 0)
                never_sent++;
            if (f[i].state[n] == REC_UNKNOWN && c > 0)
                committed_unacked++;
        }
    }
    printf("  %s: after restart: %lld rows stored; acknowledged but lost %zu, stored twice %zu, stored but never"
           " sent %zu, committed but unanswered %zu of %zu\n",
           srv->driver, (long long)h1.rows, lost, twice, never_sent, committed_unacked, unknown);
    assert_int_equal(lost, 0);
    assert_int_equal(twice, 0);
    assert_int_equal(never_sent, 0);
    assert_int_equal(h1.strays, 0);
    assert_int_equal(h1.rows, h1.distinct);
    assert_int_equal((size_t)h1.rows, acked + committed_unacked);
    check_counters(srv, "after restart");
    check_verify(srv, "after restart");

    /* 4. re-send every request as first sent (the newest singles one by one, the other
     * singles grouped into batches) */
    struct http hc;
    http_init(&hc, g_token);
    for (int i = 0; i < FEEDERS; i++) {
        size_t s = 0;
        while (s < f[i].nspans) {
            struct span sp = f[i].spans[s];
            bool one = !f[i].batch && s + RESEND_SINGLES >= f[i].nspans;
            size_t k = 1;
            if (!f[i].batch && !one) { /* consecutive singles, up to BATCH, as one array */
                while (s + k < f[i].nspans && k < BATCH && s + k + RESEND_SINGLES < f[i].nspans)
                    k++;
                sp.n = f[i].spans[s + k - 1].first + f[i].spans[s + k - 1].n - sp.first;
            }
            span_body(&f[i], &sp, !one, &body);
            status = http_post(&hc, srv->base, one ? "/api/v1/samples" : "/api/v1/samples/batch", &body);
            requests++;
            if (http_outcomes(status, &hc.resp, !one, sp.n, outcome))
                fail_msg("%s: re-send: status %lld: %.300s", srv->driver, (long long)status, hc.resp.data);
            for (size_t j = 0; j < sp.n; j++) {
                size_t n = sp.first + j;
                char want = h1.n[i][n] ? 'd' : 'a';
                if (outcome[j] != want) {
                    if (wrong++ < 5)
                        fprintf(stderr, "  re-sent record t%d-%zu (%s before) answered '%c', expected '%c'\n", i, n,
                                f[i].state[n] == REC_ACKED ? "acknowledged" : "unanswered", outcome[j], want);
                }
                dup_answers += outcome[j] == 'd';
                acc_answers += outcome[j] == 'a';
            }
            s += k;
        }
    }
    /* every re-sent request went through the group-commit writer (issue 13), which this
     * restarted server began counting at zero */
    long long writes = http_metric(&hc, srv->base, "jiayuan_db_writer_writes_total");
    long long groups = http_metric(&hc, srv->base, "jiayuan_db_writer_groups_total");
    assert_int_equal(writes, (long long)requests);
    assert_true(groups >= 1 && groups <= writes);
    assert_int_equal(http_metric(&hc, srv->base, "jiayuan_db_writer_failed_groups_total"), 0);
    http_release(&hc);
    printf("  %s: re-sent %zu records in %zu requests: %zu duplicate, %zu accepted (the unanswered ones that"
           " had not been committed), %zu wrong\n",
           srv->driver, dup_answers + acc_answers, requests, dup_answers, acc_answers, wrong);
    assert_int_equal(wrong, 0);
    assert_int_equal(dup_answers, acked + committed_unacked);

    /* 5. now every record sent is stored exactly once */
    held_load(srv, &h2);
    size_t missing = 0;
    for (int i = 0; i < FEEDERS; i++)
        for (size_t n = 0; n < MAX_RECS; n++)
            if ((f[i].state[n] != REC_UNSENT) != (h2.n[i][n] == 1))
                missing++;
    assert_int_equal(missing, 0);
    assert_int_equal((size_t)h2.rows, sent);
    assert_int_equal(h2.rows, h2.distinct);
    check_counters(srv, "after re-sending");
    check_verify(srv, "after re-sending");

    held_release(&h1);
    held_release(&h2);
    for (int i = 0; i < FEEDERS; i++) {
        xfree(f[i].state);
        xfree(f[i].spans);
    }
    xfree(outcome);
    buf_release(&body);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kill_during_ingest),
    };
    return server_run("crash", tests, sizeof tests / sizeof tests[0], prepare);
}
