/* tests/e2e/e2e_keys.c - data-key rotation on the real `jiayuan serve` (issue 12 "key
 * rotation"; S1 key management, S6 audit), on SQLite and PostgreSQL.
 *
 * The database holds people's samples (ingested by a lab feed), a site with an address, a
 * 流调 record and a doctor (health feed), hotline tickets (`jiayuan hotline import`, a CSV
 * written by python) and an uploaded batch (its sealed rows). Personal lookups, a doctor
 * search and the batch's counts are taken. Then, with a feeder thread ingesting samples
 * through serve all along, `jiayuan keys rotate-data --max-chunks 4` stops mid-way (exit 3:
 * the state a kill -9 between chunks leaves; a kill inside a chunk rolls that chunk back),
 * serve picks the new key up on SIGHUP, and running the command again resumes and finishes.
 * Afterwards the test reads every sealed column of every table itself (the envelope's key id,
 * bytes 1-4): all name key 2, none key 1; `keys retire 1` is accepted (and `keys retire 2`,
 * the active key, refused); `jiayuan verify` passes; after a restart (key 1 now without field
 * keys) the lookups, the doctor search and a re-run of the batch give the answers of before;
 * every acknowledged sample is stored, one written during the rotation is found; the audit
 * log holds keys.rotate.start, keys.rotate.table, keys.rotate.finish and keys.retire.
 */
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
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/idno.h"
#include "core/str.h"
#include "core/time.h"
#include "db/db.h"
#include "fixtures/pyfixture.h"
#include "server.h"

#define SUB_A "110102001"
#define SOURCE "kr"
#define PLAN_NO "KR-1"
#define BATCH 50
#define SEED_RECORDS 300     /* samples before the rotation */
#define LIST_PEOPLE 20       /* residents in the uploaded batch */
#define BOUNDARY "jyKeysBoundary"

static char g_feed[128], g_health[128];

static int
prepare(struct server *srv)
{
    struct buf a = BUF_INIT, b = BUF_INIT;
    int rc = server_add_user(srv, "dist", "district", NULL, SERVER_PASSWORD, false, NULL) ||
             server_add_user(srv, "off_a", "subdistrict", SUB_A, SERVER_PASSWORD, false, NULL) ||
             server_add_token(srv, "kr-feed", "samples.write,sites.write,sites.read,plans.write,plans.read", &a,
                              NULL) ||
             server_add_token(srv, "kr-health", "health.write,health.read", &b, NULL);
    if (!rc) {
        str_copy(g_feed, sizeof g_feed, a.data);
        str_copy(g_health, sizeof g_health, b.data);
    }
    buf_release(&a);
    buf_release(&b);
    return rc ? -1 : 0;
}

static void
rec_idno(size_t k, char out[19])
{
    char tmp[40];
    snprintf(tmp, sizeof tmp, "110102%04d%02d%02d%03zu", 1950 + (int)(k / 1000 % 60), 1 + (int)(k / 100 % 12),
             1 + (int)(k / 10 % 28), k % 1000);
    memcpy(out, tmp, 17);
    out[17] = idno_check_digit(out);
    out[18] = '\0';
}

static size_t
http_sink(char *p, size_t size, size_t n, void *arg)
{
    buf_add(arg, p, size * n);
    return size * n;
}

/* post_samples posts records [from, from + BATCH) as the lab feed; the HTTP status. */
static long
post_samples(CURL *curl, const char *base, size_t from, int64_t now)
{
    struct buf url = BUF_INIT, body = BUF_INIT, resp = BUF_INIT, auth = BUF_INIT;
    struct curl_slist *h = NULL;
    long status = 0;
    buf_printf(&auth, "Authorization: Bearer %s", g_feed);
    buf_printf(&url, "%s/api/v1/samples/batch", base);
    h = curl_slist_append(NULL, auth.data);
    h = curl_slist_append(h, "Content-Type: application/json");
    buf_addch(&body, '[');
    for (size_t i = 0; i < BATCH; i++) {
        char id[19];
        size_t k = from + i;
        rec_idno(k, id);
        buf_printf(&body,
                   "%s{\"source\":\"" SOURCE "\",\"external_id\":\"k%zu\",\"id_number\":\"%s\",\"name\":\"轮换%zu\","
                   "\"phone\":\"139%08zu\",\"tube_code\":\"KR-%zu\",\"site_code\":\"KR-S1\",\"plan_no\":\"" PLAN_NO
                   "\",\"collected_at\":%lld,\"mix_size\":10,\"mix_index\":%zu}",
                   i ? "," : "", k, id, k % 100, k, k / 10, (long long)(now - (int64_t)(k % 3) * 60000), k % 10 + 1);
    }
    buf_addch(&body, ']');
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(curl, CURLOPT_URL, url.data);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, http_sink);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &resp);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, 120L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)body.len);
    if (curl_easy_perform(curl) == CURLE_OK)
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(h);
    buf_release(&url);
    buf_release(&body);
    buf_release(&resp);
    buf_release(&auth);
    return status;
}

struct feeder {
    pthread_t thread;
    const char *base;
    atomic_bool stop;
    atomic_size_t acked; /* records acknowledged, counting from 0 (the seed included) */
    atomic_size_t failed;
    int64_t now;
};

static void *
feeder_main(void *arg)
{
    struct feeder *f = arg;
    CURL *curl = curl_easy_init();
    while (!atomic_load(&f->stop)) {
        size_t next = atomic_load(&f->acked);
        if (post_samples(curl, f->base, next, f->now) != 200) {
            atomic_fetch_add(&f->failed, 1);
            break;
        }
        atomic_store(&f->acked, next + BATCH);
        usleep(20000); /* pacing, so the rotation is not chasing a flood; nothing is timed */
    }
    curl_easy_cleanup(curl);
    return NULL;
}

static void
wait_acked(struct feeder *f, size_t want)
{
    for (int i = 0; i < 12000 && atomic_load(&f->acked) < want && !atomic_load(&f->failed); i++)
        usleep(10000); /* a hang guard, not a measure */
    assert_int_equal(atomic_load(&f->failed), 0);
    assert_true(atomic_load(&f->acked) >= want);
}

static void
seed_feeds(struct server *srv, int64_t now)
{
    struct client c;
    struct resp r = RESP_INIT;
    client_init(&c, srv);
    str_copy(c.bearer, sizeof c.bearer, g_feed);
    client_pack(&c, "POST", "/api/v1/sites/batch", &r, "[{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:f, s:f}]", "source",
                SOURCE, "external_id", "s1", "code", "KR-S1", "name", "rotation site", "type", "fixed", "subdistrict",
                SUB_A, "address", "西城区轮换路1号", "lon", 116.36, "lat", 39.91);
    assert_resp(&r, 200, NULL);
    client_pack(&c, "POST", "/api/v1/plans", &r, "{s:s, s:s, s:s, s:s, s:I, s:I}", "source", SOURCE, "external_id",
                "p1", "plan_no", PLAN_NO, "name", "rotation round", "starts_at", (json_int_t)(now - 6 * 3600000),
                "ends_at", (json_int_t)(now + 3600000));
    assert_resp(&r, 201, NULL);
    str_copy(c.bearer, sizeof c.bearer, g_health);
    client_pack(&c, "POST", "/api/v1/exchange/health/epi/batch", &r, "[{s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:s}]",
                "source", "wjw", "external_id", "W-1", "kind", "case", "subdistrict", SUB_A, "reported_at",
                (json_int_t)(now - 3600000), "name", "轮换甲", "id_number", "11010519850612107X", "phone",
                "13912345678");
    assert_resp(&r, 200, NULL);
    assert_int_equal(resp_int(&r, "accepted"), 1);
    client_call(&c, "POST", "/api/v1/exchange/health/doctors",
                "{\"source\":\"wjw\",\"external_id\":\"D-1\",\"name\":\"轮换医生\",\"phone\":\"13811112222\","
                "\"institution\":\"h\",\"subdistrict\":\"" SUB_A "\"}",
                &r);
    assert_resp(&r, 201, NULL);
    resp_release(&r);
    client_release(&c);
}

/* upload_batch uploads a list of LIST_PEOPLE seeded residents and one outsider as off_a and
 * waits for it; returns its id. */
static int64_t
upload_batch(struct client *c)
{
    static const char *const form[] = { "Content-Type: multipart/form-data; boundary=" BOUNDARY, NULL };
    struct buf body = BUF_INIT;
    struct resp r = RESP_INIT;
    char path[64];
    int64_t id;
    buf_printf(&body, "--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"list.csv\"\r\n"
                      "Content-Type: text/csv\r\n\r\n序号,姓名,身份证号码,联系电话\r\n", BOUNDARY);
    for (size_t k = 0; k < LIST_PEOPLE; k++) {
        char idno[19];
        rec_idno(k * 7, idno);
        buf_printf(&body, "%zu,轮换%zu,%s,139%08zu\r\n", k + 1, k * 7 % 100, idno, k * 7);
    }
    buf_printf(&body, "%d,外地人,440106198505051236,\r\n\r\n--%s--\r\n", LIST_PEOPLE + 1, BOUNDARY);
    assert_int_equal(client_send(c, "POST", "/api/v1/batches", body.data, body.len, form, 0, &r), 201);
    id = resp_int(&r, "id");
    snprintf(path, sizeof path, "/api/v1/batches/%lld", (long long)id);
    for (int i = 0; i < 1200; i++) { /* a hang guard */
        assert_int_equal(client_call(c, "GET", path, NULL, &r), 200);
        if (!strcmp(resp_str(&r, "status"), "done"))
            break;
        usleep(50000);
    }
    assert_string_equal(resp_str(&r, "status"), "done");
    buf_release(&body);
    resp_release(&r);
    return id;
}

/* answers appends what the lookups say: three people's tests, the doctor search, the
 * 流调 lookup and the batch's counts. */
static void
answers(struct client *dist, struct client *off, int64_t batch, struct buf *out)
{
    struct resp r = RESP_INIT;
    char path[96];
    for (size_t k = 0; k < 3; k++) {
        char idno[19];
        rec_idno(k * 7, idno);
        assert_int_equal(client_pack(dist, "POST", "/api/v1/people/lookup", &r, "{s:s, s:i}", "id_number", idno,
                                     "days", 14),
                         200);
        char *s = json_dumps(resp_get(&r, "tests"), JSON_COMPACT | JSON_SORT_KEYS);
        assert_non_null(s);
        buf_printf(out, "person %zu: %s\n", k, s);
        free(s);
    }
    assert_int_equal(client_call(dist, "GET", "/api/v1/exchange/health/doctors?phone=13811112222", NULL, &r), 200);
    buf_printf(out, "doctors %lld %s\n", (long long)resp_int(&r, "total"), resp_str(&r, "items.0.name"));
    assert_int_equal(client_call(dist, "POST", "/api/v1/exchange/health/epi/lookup",
                                 "{\"id_number\":\"11010519850612107X\"}", &r),
                     200);
    buf_printf(out, "epi %s %s\n", resp_str(&r, "items.0.name"), resp_str(&r, "items.0.phone"));
    snprintf(path, sizeof path, "/api/v1/batches/%lld", (long long)batch);
    assert_int_equal(client_call(off, "GET", path, NULL, &r), 200);
    buf_printf(out, "batch found=%lld not_found=%lld damaged=%lld\n", (long long)resp_int(&r, "found"),
               (long long)resp_int(&r, "not_found"), (long long)resp_int(&r, "damaged"));
    resp_release(&r);
}

/* The sealed columns, as the schema's comments name them (independent of rotation_tables). */
static const char *const sealed[][2] = {
    { "users", "totp_secret" },       { "sites", "address" },          { "site_history", "address" },
    { "samples", "id_number" },       { "samples", "name" },           { "samples", "phone" },
    { "samples", "collector" },       { "batch_rows", "cells" },       { "health_epi", "id_number" },
    { "health_epi", "name" },         { "health_epi", "phone" },       { "health_doctors", "name" },
    { "health_doctors", "phone" },    { "hotline_tickets", "caller" }, { "hotline_tickets", "phone" },
    { "hotline_tickets", "address" }, { "transports", "courier" },     { "checkins", "staff" },
};

/* count_keys counts the sealed values of table.col under key id and under any other key. */
static void
count_keys(struct db *db, const char *table, const char *col, uint32_t id, int64_t *with, int64_t *other)
{
    char sql[160];
    struct db_stmt *st = NULL;
    bool row = false;
    snprintf(sql, sizeof sql, "SELECT %s FROM %s WHERE %s IS NOT NULL", col, table, col);
    assert_int_equal(db_prepare(db, sql, &st), 0);
    while (db_step(st, &row) == 0 && row) {
        size_t n = 0;
        const uint8_t *p = db_col_blob(st, 0, &n);
        assert_true(n > 37 && p[0] == 1);
        uint32_t k = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | p[4];
        *(k == id ? with : other) += 1;
    }
    db_done(st);
}

static int64_t
count_sql(struct db *db, const char *sql)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int64_t n = -1;
    assert_int_equal(db_prepare(db, sql, &st), 0);
    if (db_step(st, &row) == 0 && row)
        n = db_col_i64(st, 0);
    db_done(st);
    return n;
}

static void
wait_log(struct server *srv, const char *needle)
{
    struct buf log = BUF_INIT;
    for (int i = 0; i < 600; i++) { /* a hang guard */
        server_log(srv, &log);
        if (strstr(log.data ? log.data : "", needle))
            break;
        usleep(50000);
    }
    assert_non_null(strstr(log.data ? log.data : "", needle));
    buf_release(&log);
}

static void
sign_in(struct client *c, struct server *srv, const char *user)
{
    assert_int_equal(client_sign_in(c, srv, user), 200);
}

static void
test_rotate(void **state)
{
    struct server *srv = *state;
    struct feeder f = { .base = srv->base, .now = time_now_ms() };
    struct client dist, off;
    struct buf before = BUF_INIT, after = BUF_INIT, out = BUF_INIT;
    struct resp r = RESP_INIT;
    struct db *db = NULL;
    char path[96];
    int64_t batch;

    seed_feeds(srv, f.now);
    CURL *curl = curl_easy_init();
    for (size_t k = 0; k < SEED_RECORDS; k += BATCH)
        assert_int_equal(post_samples(curl, srv->base, k, f.now), 200);
    curl_easy_cleanup(curl);
    const char *csv = pyfixture_make(srv->dir, "make_tickets.py", "tickets.csv", "");
    assert_int_equal(server_cli(srv, NULL, &out, "hotline", "import", csv, NULL), 0);
    sign_in(&dist, srv, "dist");
    sign_in(&off, srv, "off_a");
    batch = upload_batch(&off);
    answers(&dist, &off, batch, &before);
    assert_non_null(strstr(before.data, "batch found=20 not_found=1"));

    /* 1. rotate under load; stop after 4 chunks (the state kill -9 leaves), then resume */
    atomic_init(&f.stop, false);
    atomic_init(&f.acked, SEED_RECORDS);
    atomic_init(&f.failed, 0);
    f.base = srv->base;
    assert_int_equal(pthread_create(&f.thread, NULL, feeder_main, &f), 0);
    wait_acked(&f, SEED_RECORDS + 2 * BATCH);
    buf_reset(&out);
    assert_int_equal(server_cli(srv, NULL, &out, "keys", "rotate-data", "--chunk", "50", "--max-chunks", "4", NULL), 3);
    buf_reset(&out);
    assert_int_equal(server_cli(srv, NULL, &out, "keys", "status", NULL), 0);
    assert_non_null(strstr(out.data, "rotation 1 to_key=2 pass=1 state=running"));
    assert_non_null(strstr(out.data, "key 2 active"));
    assert_int_equal(kill(srv->pid, SIGHUP), 0);
    wait_log(srv, "\"event\":\"keys.refreshed\",\"active_key\":\"2\"");
    wait_acked(&f, atomic_load(&f.acked) + 2 * BATCH); /* writes go on, now under key 2 */
    assert_int_equal(server_cli(srv, NULL, NULL, "keys", "retire", "1", NULL), 1); /* unfinished */
    buf_reset(&out);
    assert_int_equal(server_cli(srv, NULL, &out, "keys", "rotate-data", "--chunk", "50", NULL), 0);
    assert_non_null(strstr(out.data, "rotation 1 finished"));
    wait_acked(&f, atomic_load(&f.acked) + 2 * BATCH);
    atomic_store(&f.stop, true);
    pthread_join(f.thread, NULL);
    assert_int_equal(atomic_load(&f.failed), 0);

    /* 2. every sealed value is under key 2, read here from the tables themselves */
    assert_int_equal(server_db_open(srv, &db), 0);
    for (size_t i = 0; i < sizeof sealed / sizeof sealed[0]; i++) {
        int64_t with = 0, other = 0;
        count_keys(db, sealed[i][0], sealed[i][1], 2, &with, &other);
        if (other)
            fail_msg("%s.%s: %lld values not under key 2", sealed[i][0], sealed[i][1], (long long)other);
        if (!strcmp(sealed[i][0], "samples") && strcmp(sealed[i][1], "collector"))
            assert_int_equal(with, (int64_t)atomic_load(&f.acked));
        if (!strcmp(sealed[i][0], "batch_rows") || !strcmp(sealed[i][0], "hotline_tickets") ||
            !strncmp(sealed[i][0], "health_", 7) || !strcmp(sealed[i][0], "sites"))
            assert_true(with > 0);
    }
    assert_int_equal(count_sql(db, "SELECT count(*) FROM audit_log WHERE action = 'keys.rotate.start'"), 1);
    assert_int_equal(count_sql(db, "SELECT count(*) FROM audit_log WHERE action = 'keys.rotate.finish'"), 1);
    assert_true(count_sql(db, "SELECT count(*) FROM audit_log WHERE action = 'keys.rotate.table'") >= 13);

    /* 3. retire key 1 (not the active key 2); the audit chain verifies. The batch's results
     * are MACed under key 1 and rotate-data does not re-MAC them (migration 0028): retire
     * refuses until the batch is re-run under key 2 (docs/ops/key-rotation.md) */
    assert_int_equal(server_cli(srv, NULL, NULL, "keys", "retire", "2", NULL), 1);
    assert_true(count_sql(db, "SELECT count(*) FROM batch_results WHERE mac_key = 1") > 0);
    assert_int_equal(server_cli(srv, NULL, NULL, "keys", "retire", "1", NULL), 1);
    snprintf(path, sizeof path, "/api/v1/batches/%lld/rerun", (long long)batch);
    assert_int_equal(client_call(&off, "POST", path, "{}", &r), 202);
    snprintf(path, sizeof path, "/api/v1/batches/%lld", (long long)batch);
    for (int i = 0; i < 1200; i++) { /* a hang guard */
        assert_int_equal(client_call(&off, "GET", path, NULL, &r), 200);
        if (!strcmp(resp_str(&r, "status"), "done"))
            break;
        usleep(50000);
    }
    assert_int_equal(count_sql(db, "SELECT count(*) FROM batch_results WHERE mac_key = 1"), 0);
    buf_reset(&out);
    assert_int_equal(server_cli(srv, NULL, &out, "keys", "retire", "1", NULL), 0);
    assert_int_equal(count_sql(db, "SELECT count(*) FROM audit_log WHERE action = 'keys.retire'"), 1);
    assert_int_equal(count_sql(db, "SELECT count(*) FROM data_keys WHERE retired_at IS NOT NULL"), 1);
    db_close(db);
    buf_reset(&out);
    assert_int_equal(server_cli(srv, NULL, &out, "keys", "status", NULL), 0);
    assert_non_null(strstr(out.data, "key 1 retired"));
    assert_non_null(strstr(out.data, "state=finished"));
    buf_reset(&out);
    assert_int_equal(server_cli(srv, NULL, &out, "verify", NULL), 0);
    assert_non_null(strstr(out.data, "audit chain intact"));

    /* 4. restarted without key 1's field keys: the same answers; a re-run batch agrees */
    client_release(&dist);
    client_release(&off);
    assert_int_equal(server_restart(srv), 0);
    sign_in(&dist, srv, "dist");
    sign_in(&off, srv, "off_a");
    snprintf(path, sizeof path, "/api/v1/batches/%lld/rerun", (long long)batch);
    assert_int_equal(client_call(&off, "POST", path, "{}", &r), 202);
    snprintf(path, sizeof path, "/api/v1/batches/%lld", (long long)batch);
    for (int i = 0; i < 1200; i++) { /* a hang guard */
        assert_int_equal(client_call(&off, "GET", path, NULL, &r), 200);
        if (!strcmp(resp_str(&r, "status"), "done"))
            break;
        usleep(50000);
    }
    answers(&dist, &off, batch, &after);
    assert_string_equal(before.data, after.data);
    /* a record written during the rotation is found */
    char idno[19];
    rec_idno(atomic_load(&f.acked) - 1, idno); /* the last record: written after the rotation began */
    assert_int_equal(client_pack(&dist, "POST", "/api/v1/people/lookup", &r, "{s:s, s:i}", "id_number", idno, "days",
                                 14),
                     200);
    assert_true(json_array_size(resp_get(&r, "tests")) > 0);
    printf("  %s: rotated under load, %zu samples acknowledged\n", srv->driver, atomic_load(&f.acked));
    resp_release(&r);
    client_release(&dist);
    client_release(&off);
    buf_release(&before);
    buf_release(&after);
    buf_release(&out);
}

int
main(void)
{
    const struct CMUnitTest tests[] = { cmocka_unit_test(test_rotate) };
    return server_run("keys", tests, sizeof tests / sizeof tests[0], prepare);
}
