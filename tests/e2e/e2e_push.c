/* tests/e2e/e2e_push.c - real-time push end to end over the real `jiayuan serve`, on SQLite
 * and PostgreSQL (issue 3 "Push" and its reliability tests; R2.x "pushed to the GIS map and
 * other vendors' dashboards"):
 *   - the /api/v1/webhooks resource (sysadmin only, secrets shown once, never listed, logged
 *     or stored in plaintext; every change audited);
 *   - a webhook receiver down for a while (across a server restart), then up: every event
 *     arrives, in order, duplicates only by event id, every signature verifies;
 *   - an SSE client that disconnects mid-stream and resumes with Last-Event-ID: no gap, no
 *     duplicate;
 *   - SSE scoping: a subdistrict account only receives its subdistrict's events;
 *   - a dead letter after N failed attempts, requeued by hand and then delivered;
 *   - delivery throughput to a local receiver (printed, with the SSE resume rate).
 * Events come from the real ingest APIs (/api/v1/sites/batch, /api/v1/samples/batch) with
 * API tokens. The webhook receiver (tests/support/rx.h) is a plain POSIX-socket HTTP/1.1
 * server on a thread of this process; signatures are checked with OpenSSL's HMAC-SM3, not the server's code; SSE
 * is read with libcurl.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/idno.h"
#include "core/str.h"
#include "core/time.h"
#include "db/db.h"
#include "rx.h"
#include "server.h"

#define SUB_A "110102001"
#define SUB_B "110102003"
#define BACKOFF_MS "20"      /* JIAYUAN_WEBHOOK_BACKOFF_MS of the servers */
#define MAX_ATTEMPTS "14"    /* JIAYUAN_WEBHOOK_MAX_ATTEMPTS of the shared server (~5 min) */
#define WAIT_MS 30000        /* longest wait for something to arrive */

/* The webhook receiver is tests/support/rx.h. */

/* --- an SSE client on libcurl ------------------------------------------------------------ */

struct sse_ev {
    int64_t id;
    char topic[64];
    char *data;
};

struct sse {
    pthread_t thread;
    char url[512];
    char auth[600];        /* "Authorization: Bearer …" or "Cookie: …" */
    int64_t last_id;       /* Last-Event-ID to send; -1 = none */
    atomic_llong stop_at;  /* stop once an id >= this arrived (0 = not yet known) */
    atomic_bool abort;     /* disconnect now */
    atomic_bool done;
    pthread_mutex_t mu;
    struct sse_ev *evs;
    size_t n, cap;
    struct buf partial;
    long status;
    int curl_rc;
};

static bool
sse_should_stop(struct sse *s)
{
    long long at = atomic_load(&s->stop_at);
    bool hit;
    pthread_mutex_lock(&s->mu);
    hit = at > 0 && s->n > 0 && s->evs[s->n - 1].id >= at;
    pthread_mutex_unlock(&s->mu);
    return hit || atomic_load(&s->abort);
}

static size_t
sse_write(char *p, size_t size, size_t nmemb, void *arg)
{
    struct sse *s = arg;
    size_t n = size * nmemb;
    char *end;
    if (sse_should_stop(s))
        return 0;
    buf_add(&s->partial, p, n);
    while ((end = strstr(s->partial.data, "\n\n"))) {
        struct sse_ev e = { .id = -1 };
        size_t blen = (size_t)(end - s->partial.data) + 2;
        *end = '\0';
        for (char *line = s->partial.data; line && *line;) {
            char *nl = strchr(line, '\n');
            if (nl)
                *nl = '\0';
            if (strncmp(line, "id: ", 4) == 0 && cstr_to_i64(line + 4, &e.id, 0, INT64_MAX))
                e.id = -2;
            else if (strncmp(line, "event: ", 7) == 0)
                str_copy(e.topic, sizeof e.topic, line + 7);
            else if (strncmp(line, "data: ", 6) == 0)
                e.data = xstrdup(line + 6);
            line = nl ? nl + 1 : NULL;
        }
        memmove(s->partial.data, s->partial.data + blen, s->partial.len - blen);
        s->partial.len -= blen;
        s->partial.data[s->partial.len] = '\0';
        if (e.id == -1 && !e.data)
            continue; /* a comment (heartbeat) */
        if (sse_should_stop(s)) { /* a client gone mid-chunk never sees the rest */
            xfree(e.data);
            return 0;
        }
        pthread_mutex_lock(&s->mu);
        if (s->n == s->cap) {
            s->cap = s->cap ? s->cap * 2 : 256;
            s->evs = xrealloc(s->evs, s->cap * sizeof *s->evs);
        }
        s->evs[s->n++] = e;
        pthread_mutex_unlock(&s->mu);
    }
    return n;
}

static int
sse_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    (void)a;
    (void)b;
    (void)c;
    (void)d;
    return sse_should_stop(arg) ? 1 : 0;
}

static void *
sse_main(void *arg)
{
    struct sse *s = arg;
    struct curl_slist *h = NULL;
    char last[64];
    CURL *curl = curl_easy_init();
    h = curl_slist_append(h, s->auth);
    h = curl_slist_append(h, "Accept: text/event-stream");
    if (s->last_id >= 0) {
        snprintf(last, sizeof last, "Last-Event-ID: %lld", (long long)s->last_id);
        h = curl_slist_append(h, last);
    }
    curl_easy_setopt(curl, CURLOPT_URL, s->url);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, sse_write);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, sse_progress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, s);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)WAIT_MS * 2);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    s->curl_rc = (int)curl_easy_perform(curl);
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &s->status);
    curl_slist_free_all(h);
    curl_easy_cleanup(curl);
    atomic_store(&s->done, true);
    return NULL;
}

/* sse_open connects in a thread; auth is a whole header line. */
static struct sse *
sse_open(struct server *srv, const char *topics, const char *auth, int64_t last_id)
{
    struct sse *s = xcalloc(1, sizeof *s);
    pthread_mutex_init(&s->mu, NULL);
    buf_init(&s->partial, 1 << 24);
    snprintf(s->url, sizeof s->url, "%s/api/v1/events?topics=%s", srv->base, topics);
    str_copy(s->auth, sizeof s->auth, auth);
    s->last_id = last_id;
    assert_int_equal(pthread_create(&s->thread, NULL, sse_main, s), 0);
    return s;
}

static size_t
sse_count(struct sse *s)
{
    pthread_mutex_lock(&s->mu);
    size_t n = s->n;
    pthread_mutex_unlock(&s->mu);
    return n;
}

/* sse_close disconnects (if still connected), joins and frees. */
static void
sse_close(struct sse *s)
{
    if (!s)
        return;
    atomic_store(&s->abort, true);
    pthread_join(s->thread, NULL);
    for (size_t i = 0; i < s->n; i++)
        xfree(s->evs[i].data);
    xfree(s->evs);
    buf_release(&s->partial);
    pthread_mutex_destroy(&s->mu);
    xfree(s);
}

/* --- servers, accounts, data --------------------------------------------------------------- */

static struct buf feeder_token = BUF_INIT, viewer_token = BUF_INIT;
static struct client sally; /* the enrolled sysadmin of the shared server */
static char enrolled_on[256];

static int
prepare(struct server *srv)
{
    buf_reset(&feeder_token);
    buf_reset(&viewer_token);
    if (server_add_user(srv, "sally", "sysadmin", NULL, SERVER_PASSWORD, false, NULL) ||
        server_add_user(srv, "dora", "district", NULL, SERVER_PASSWORD, false, NULL) ||
        server_add_user(srv, "subby", "subdistrict", SUB_A, SERVER_PASSWORD, false, NULL) ||
        server_add_token(srv, "feeder", "sites.write,samples.write", &feeder_token, NULL) ||
        server_add_token(srv, "screen", "events.read,dashboard.read", &viewer_token, NULL) ||
        server_cli(srv, NULL, NULL, "webhook-allow", "--set", "127.0.0.1,gis.example.cn", NULL))
        return -1;
    return 0;
}

static struct client *
admin(struct server *srv)
{
    if (strcmp(enrolled_on, srv->dir) == 0)
        return &sally;
    if (enrolled_on[0])
        client_release(&sally);
    client_init(&sally, srv);
    snprintf(enrolled_on, sizeof enrolled_on, "%s", srv->dir);
    assert_int_equal(server_enrol(srv, &sally, "sally", NULL, 0), 0);
    return &sally;
}

static void
bearer(struct client *c, struct server *srv, const struct buf *token)
{
    client_init(c, srv);
    str_copy(c->bearer, sizeof c->bearer, token->data);
}

/* feed_sites creates n sites "<prefix>0…" in subdistrict sub (one "sites" event each). */
static void
feed_sites(struct client *c, const char *prefix, size_t n, const char *sub)
{
    struct resp r = RESP_INIT;
    json_t *arr = json_array();
    char code[32];
    for (size_t i = 0; i < n; i++) {
        snprintf(code, sizeof code, "%s%zu", prefix, i);
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:f, s:f}", "source", "e2e-push",
                                             "external_id", code, "code", code, "name", code, "type", "fixed",
                                             "subdistrict", sub, "lon", 116.36 + (double)i * 1e-4, "lat", 39.91));
    }
    char *body = json_dumps(arr, JSON_COMPACT);
    client_call(c, "POST", "/api/v1/sites/batch", body, &r);
    assert_resp(&r, 200, NULL);
    assert_int_equal(resp_int(&r, "accepted"), (int64_t)n);
    xfree(body);
    json_decref(arr);
    resp_release(&r);
}

/* feed_samples posts one batch with per_site samples at each site (one "samples.counts"
 * event per site). */
static void
feed_samples(struct client *c, const char *const *sites, size_t nsites, size_t per_site)
{
    static int64_t serial;
    struct resp r = RESP_INIT;
    json_t *arr = json_array();
    int64_t now = time_now_ms();
    for (size_t s = 0; s < nsites; s++) {
        for (size_t k = 0; k < per_site; k++) {
            char first17[18], id[19], ext[48], tube[32];
            int64_t x = ++serial;
            snprintf(first17, sizeof first17, "110105198%01u%02u%02u%03u", (unsigned)(x % 10) % 10u,
                     (unsigned)(x % 12) % 12u + 1u, (unsigned)(x % 28) % 28u + 1u, (unsigned)(x % 1000) % 1000u);
            snprintf(id, sizeof id, "%s%c", first17, idno_check_digit(first17));
            snprintf(ext, sizeof ext, "p%d-%lld-%lld", (int)getpid(), (long long)now, (long long)x);
            snprintf(tube, sizeof tube, "T%lld", (long long)x);
            json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "source", "e2e-push",
                                                 "external_id", ext, "id_number", id, "name", "\xe5\xbc\xa0\xe4\xb8\x89",
                                                 "tube_code", tube, "site_code", sites[s], "collected_at",
                                                 (json_int_t)(now - 60000)));
        }
    }
    char *body = json_dumps(arr, JSON_COMPACT);
    client_call(c, "POST", "/api/v1/samples/batch", body, &r);
    assert_resp(&r, 200, NULL);
    assert_int_equal(resp_int(&r, "accepted"), (int64_t)(nsites * per_site));
    xfree(body);
    json_decref(arr);
    resp_release(&r);
}

/* outbox_ids lists the outbox events after `after` whose topic starts with one of the
 * prefixes and whose subdistrict is sub (NULL = any; a subdistrict reader never gets a
 * district-wide "" event, issue 12). */
static size_t
outbox_ids(struct server *srv, int64_t after, const char *const *prefixes, const char *sub, int64_t **out)
{
    static const char sql[] = "SELECT id, topic, subdistrict FROM outbox WHERE id > ?1 ORDER BY id";
    struct db *db = NULL;
    struct db_stmt *st = NULL;
    bool row = false;
    size_t n = 0, cap = 64;
    int64_t *ids = xmalloc(cap * sizeof *ids);
    assert_int_equal(server_db_open(srv, &db), 0);
    assert_int_equal(db_prepare(db, sql, &st), 0);
    assert_int_equal(db_bind_i64(st, 1, after), 0);
    while (!db_step(st, &row) && row) {
        size_t len = 0;
        const char *topic = db_col_text(st, 1, &len), *sd = db_col_text(st, 2, &len);
        bool match = false;
        for (const char *const *p = prefixes; *p && !match; p++)
            match = strncmp(topic, *p, strlen(*p)) == 0;
        if (sub && (!sd || strcmp(sd, sub) != 0))
            match = false;
        if (!match)
            continue;
        if (n == cap)
            ids = xrealloc(ids, (cap *= 2) * sizeof *ids);
        ids[n++] = db_col_i64(st, 0);
    }
    db_done(st);
    db_close(db);
    *out = ids;
    return n;
}

static int64_t
outbox_head(struct server *srv)
{
    struct db *db = NULL;
    struct db_stmt *st = NULL;
    bool row = false;
    int64_t v = 0;
    assert_int_equal(server_db_open(srv, &db), 0);
    assert_int_equal(db_prepare(db, "SELECT COALESCE(MAX(id), 0) FROM outbox", &st), 0);
    assert_int_equal(db_step(st, &row), 0);
    v = row ? db_col_i64(st, 0) : 0;
    db_done(st);
    db_close(db);
    return v;
}

static int64_t
count_audit(struct server *srv, const char *action)
{
    static const char sql[] = "SELECT COUNT(*) FROM audit_log WHERE action = ?1";
    struct db *db = NULL;
    struct db_stmt *st = NULL;
    bool row = false;
    int64_t v;
    assert_int_equal(server_db_open(srv, &db), 0);
    assert_int_equal(db_prepare(db, sql, &st), 0);
    assert_int_equal(db_bind_text(st, 1, action, strlen(action)), 0);
    assert_int_equal(db_step(st, &row), 0);
    v = db_col_i64(st, 0);
    db_done(st);
    db_close(db);
    return v;
}

/* make_hook creates a subscription for rx through c and returns its id; the generated
 * secret goes to secret. */
static int64_t
make_hook(struct client *c, struct rx *rx, const char *topics, struct buf *secret)
{
    struct resp r = RESP_INIT;
    char url[128];
    int64_t id;
    snprintf(url, sizeof url, "http://127.0.0.1:%d/jiayuan/events", rx->port);
    client_pack(c, "POST", "/api/v1/webhooks", &r, "{s:s, s:s}", "url", url, "topics", topics);
    assert_resp(&r, 201, NULL);
    id = resp_int(&r, "id");
    assert_true(id > 0);
    assert_non_null(resp_str(&r, "secret"));
    buf_reset(secret);
    buf_adds(secret, resp_str(&r, "secret"));
    resp_release(&r);
    return id;
}

static void
drop_hook(struct client *c, int64_t id)
{
    struct resp r = RESP_INIT;
    char path[64];
    snprintf(path, sizeof path, "/api/v1/webhooks/%lld", (long long)id);
    client_call(c, "DELETE", path, NULL, &r);
    assert_resp(&r, 204, NULL);
    resp_release(&r);
}

static json_t *
hook_state(struct client *c, int64_t id)
{
    struct resp r = RESP_INIT;
    char path[64];
    json_t *j;
    snprintf(path, sizeof path, "/api/v1/webhooks/%lld", (long long)id);
    client_call(c, "GET", path, NULL, &r);
    assert_resp(&r, 200, NULL);
    j = json_incref(r.json);
    resp_release(&r);
    return j;
}

static void
wait_delivered(struct rx *rx, const int64_t *want, size_t n)
{
    for (int i = 0; i < WAIT_MS / 20 && rx_delivered(rx, want, n) < n; i++)
        usleep(20000);
    assert_int_equal(rx_delivered(rx, want, n), n);
}

static int
teardown(void **state)
{
    (void)state;
    rx_stop(NULL);
    return 0;
}

/* --- tests ------------------------------------------------------------------------------- */

static void
test_webhooks_api(void **state)
{
    struct server *srv = *state;
    struct client *sa = admin(srv), dora;
    struct resp r = RESP_INIT;
    struct buf secret = BUF_INIT;
    char path[96];
    int64_t id;

    /* create: the secret is shown once */
    client_pack(sa, "POST", "/api/v1/webhooks", &r, "{s:s, s:s}", "url", "https://gis.example.cn/in?key=k1",
                "topics", "sites,samples.counts");
    assert_resp(&r, 201, NULL);
    id = resp_int(&r, "id");
    buf_adds(&secret, resp_str(&r, "secret"));
    assert_true(strncmp(secret.data, "jywh_", 5) == 0);
    assert_string_equal(resp_str(&r, "topics"), "sites,samples.counts");
    assert_int_equal(resp_int(&r, "cursor"), outbox_head(srv));
    assert_true(json_is_true(resp_get(&r, "active")));

    /* a chosen secret is not echoed */
    client_pack(sa, "POST", "/api/v1/webhooks", &r, "{s:s, s:s}", "url", "https://gis.example.cn:8443/x", "secret",
                "chosen-secret-0123456789");
    assert_resp(&r, 201, NULL);
    assert_null(resp_get(&r, "secret"));
    int64_t id2 = resp_int(&r, "id");

    /* rejected */
    static const char *const bad[] = {
        "{\"url\":\"http://user:pw@gis.example.cn/\"}", "{\"url\":\"ftp://gis.example.cn/\"}",
        "{\"url\":\"http://gis.example.cn/\",\"topics\":\"Sites\"}",
        "{\"url\":\"http://gis.example.cn/\",\"secret\":\"short\"}",
        "{\"url\":\"http://gis.example.cn/\",\"extra\":1}", "{\"topics\":\"sites\"}", NULL,
    };
    for (const char *const *b = bad; *b; b++) {
        client_call(sa, "POST", "/api/v1/webhooks", *b, &r);
        assert_resp(&r, 400, "invalid");
    }
    /* issue 12: a host off the secadmin's allow-list, plain http to a public host, a
     * private address: refused with the reason */
    static const struct {
        const char *body, *reason;
    } refused[] = {
        { "{\"url\":\"https://evil.example.org/in\"}", "webhook_host_not_allowed" },
        { "{\"url\":\"http://gis.example.cn/in\"}", "webhook_https_only" },
        { "{\"url\":\"https://10.1.2.3:8080/x\"}", "webhook_host_not_allowed" },
    };
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
        client_call(sa, "POST", "/api/v1/webhooks", refused[i].body, &r);
        assert_resp(&r, 403, "forbidden");
        assert_string_equal(resp_str(&r, "error.reason"), refused[i].reason);
    }
    /* the sysadmin reads the allow-list but cannot change it (the secadmin's, 三权分立) */
    client_call(sa, "GET", "/api/v1/settings/webhook-allow", NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_string_equal(resp_str(&r, "hosts.1"), "gis.example.cn");
    client_call(sa, "PUT", "/api/v1/settings/webhook-allow", "{\"hosts\":[\"evil.example.org\"]}", &r);
    assert_resp(&r, 403, "forbidden");

    /* list: never a secret */
    client_call(sa, "GET", "/api/v1/webhooks", NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_true(resp_int(&r, "total") >= 2);
    assert_null(strstr(r.body.data, "secret"));
    assert_null(strstr(r.body.data, secret.data));
    assert_int_equal(server_count_responses(srv, secret.data), 1);

    /* update */
    snprintf(path, sizeof path, "/api/v1/webhooks/%lld", (long long)id);
    client_pack(sa, "PATCH", path, &r, "{s:b, s:s}", "active", 0, "topics", "sites");
    assert_resp(&r, 200, NULL);
    assert_true(json_is_false(resp_get(&r, "active")));
    assert_string_equal(resp_str(&r, "topics"), "sites");
    client_call(sa, "PATCH", path, "{}", &r);
    assert_resp(&r, 400, "invalid");
    client_call(sa, "PATCH", path, "{\"url\":\"http://a:b@x.cn/\"}", &r);
    assert_resp(&r, 400, "invalid");
    client_call(sa, "PATCH", "/api/v1/webhooks/99999", "{\"active\":true}", &r);
    assert_resp(&r, 404, "not_found");

    /* the log of a new subscription is empty; a retry of nothing is 404 */
    snprintf(path, sizeof path, "/api/v1/webhooks/%lld/deliveries", (long long)id);
    client_call(sa, "GET", path, NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_int_equal(resp_int(&r, "total"), 0);
    client_call(sa, "GET", "/api/v1/webhooks/1/deliveries?status=lost", NULL, &r);
    assert_resp(&r, 400, "invalid");
    snprintf(path, sizeof path, "/api/v1/webhooks/%lld/deliveries/1/retry", (long long)id);
    client_call(sa, "POST", path, NULL, &r);
    assert_resp(&r, 404, "not_found");

    /* business roles and tokens without the scope are refused */
    client_init(&dora, srv);
    assert_int_equal(client_login(&dora, "dora", SERVER_PASSWORD, NULL, &r), 200);
    client_call(&dora, "GET", "/api/v1/webhooks", NULL, &r);
    assert_resp(&r, 403, "forbidden");
    client_call(&dora, "POST", "/api/v1/webhooks", "{\"url\":\"http://x.cn/\"}", &r);
    assert_resp(&r, 403, "forbidden");
    client_release(&dora);

    /* delete */
    snprintf(path, sizeof path, "/api/v1/webhooks/%lld", (long long)id);
    client_call(sa, "DELETE", path, NULL, &r);
    assert_resp(&r, 204, NULL);
    client_call(sa, "GET", path, NULL, &r);
    assert_resp(&r, 404, "not_found");
    drop_hook(sa, id2);

    /* audited; the secret is nowhere in the database or the logs, the URL's key not in logs */
    assert_true(count_audit(srv, "webhook.create") >= 2);
    assert_true(count_audit(srv, "webhook.update") >= 1);
    assert_true(count_audit(srv, "webhook.delete") >= 2);
    const char *const needles[] = { secret.data, "chosen-secret-0123456789", NULL };
    server_assert_absent(srv, SCAN_DB | SCAN_LOG, needles);
    const char *const keys[] = { "key=k1", NULL };
    server_assert_absent(srv, SCAN_LOG, keys);
    server_assert_clean_errors(srv);
    buf_release_secret(&secret);
    resp_release(&r);
}

/* Reliability: the receiver is down while events are written and the server restarts. */
static void
test_receiver_down_then_up(void **state)
{
    struct server *srv = *state;
    struct client feeder;
    struct rx *rx = rx_start();
    struct buf secret = BUF_INIT;
    static const char *const sites[] = { "RD0", "RD1", "RD2", "RD3" };
    static const char *const topics[] = { "sites", "samples", NULL };
    int64_t *want = NULL, start, hook;
    size_t n;

    bearer(&feeder, srv, &feeder_token);
    hook = make_hook(admin(srv), rx, "sites,samples", &secret);
    start = outbox_head(srv); /* == the new subscription's cursor */
    rx_set_up(rx, false);

    feed_sites(&feeder, "RD", 4, SUB_A);
    for (int i = 0; i < 5; i++)
        feed_samples(&feeder, sites, 4, 2);
    usleep(600000); /* a few failed attempts */
    assert_int_equal(server_restart(srv), 0);
    client_release(&feeder);
    bearer(&feeder, srv, &feeder_token);
    for (int i = 0; i < 5; i++)
        feed_samples(&feeder, sites + (i % 2), 2, 1);
    feed_sites(&feeder, "RE", 2, SUB_B);
    usleep(300000);
    assert_int_equal(rx_count(rx), 0);
    rx_set_up(rx, true);

    n = outbox_ids(srv, start, topics, NULL, &want);
    assert_int_equal(n, 4 + 5 * 4 + 5 * 2 + 2);
    wait_delivered(rx, want, n);

    /* every event, in order (so in order per topic), duplicates only as the same event */
    pthread_mutex_lock(&rx->mu);
    size_t next = 0;
    for (size_t k = 0; k < rx->n; k++) {
        const struct rx_hit *h = &rx->hits[k];
        json_error_t jerr;
        json_t *j = json_loadb(h->body, h->len, JSON_REJECT_DUPLICATES, &jerr);
        assert_non_null(j);
        assert_true(rx_verify(h, secret.data));
        assert_int_equal(json_integer_value(json_object_get(j, "id")), h->event_id);
        assert_string_equal(json_string_value(json_object_get(j, "topic")), h->topic);
        if (next < n && h->event_id == want[next]) {
            next++;
        } else {
            /* a repeat: an event already seen, never one from the future */
            bool seen = false;
            for (size_t i = 0; i < next && !seen; i++)
                seen = want[i] == h->event_id;
            assert_true(seen);
        }
        json_decref(j);
    }
    pthread_mutex_unlock(&rx->mu);
    assert_int_equal(next, n);

    /* the delivery log agrees (it is written just after the answers); nothing dead */
    json_t *st = NULL;
    for (int i = 0; i < WAIT_MS / 20; i++) {
        json_decref(st);
        st = hook_state(admin(srv), hook);
        if (json_integer_value(json_object_get(st, "cursor")) == want[n - 1])
            break;
        usleep(20000);
    }
    assert_int_equal(json_integer_value(json_object_get(st, "delivered")), (json_int_t)n);
    assert_int_equal(json_integer_value(json_object_get(st, "dead")), 0);
    assert_int_equal(json_integer_value(json_object_get(st, "pending")), 0);
    assert_int_equal(json_integer_value(json_object_get(st, "cursor")), want[n - 1]);
    json_decref(st);

    /* the logs name the host, never the secret or a payload */
    struct buf log = BUF_INIT;
    server_log(srv, &log);
    assert_non_null(strstr(log.data, "webhook.failed"));
    assert_non_null(strstr(log.data, "\"host\":\"127.0.0.1\""));
    assert_null(strstr(log.data, "/jiayuan/events"));
    assert_null(strstr(log.data, secret.data));
    assert_null(strstr(log.data, "RD0\""));
    buf_release(&log);

    drop_hook(admin(srv), hook);
    client_release(&feeder);
    buf_release_secret(&secret);
    xfree(want);
    rx_stop(rx);
}

/* Reliability: an SSE client cut off mid-stream resumes with Last-Event-ID. */
static void
test_sse_resume(void **state)
{
    struct server *srv = *state;
    struct client feeder;
    struct sse *a, *b;
    char auth[300];
    static const char *const sites[] = { "SR0", "SR1", "SR2" };
    static const char *const topics[] = { "sites", "samples", NULL };
    int64_t *want = NULL, start;
    size_t n, na, nb;

    bearer(&feeder, srv, &feeder_token);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", viewer_token.data);
    start = outbox_head(srv);
    a = sse_open(srv, "sites,samples", auth, start);
    feed_sites(&feeder, "SR", 3, SUB_A);
    for (int i = 0; i < 30 && sse_count(a) < 5; i++) {
        feed_samples(&feeder, sites, 3, 1);
        usleep(20000);
    }
    assert_true(sse_count(a) >= 5);
    atomic_store(&a->abort, true); /* the client goes away in the middle of the stream */
    pthread_join(a->thread, NULL);
    atomic_store(&a->abort, false);
    na = a->n;
    for (int i = 0; i < 10; i++) /* written while it is away */
        feed_samples(&feeder, sites, 3, 1);

    b = sse_open(srv, "sites,samples", auth, a->evs[na - 1].id);
    for (int i = 0; i < 3; i++) /* and after it is back */
        feed_samples(&feeder, sites, 3, 1);
    n = outbox_ids(srv, start, topics, NULL, &want);
    atomic_store(&b->stop_at, (long long)want[n - 1]);
    for (int i = 0; i < WAIT_MS / 20 && !atomic_load(&b->done); i++)
        usleep(20000);
    assert_true(atomic_load(&b->done));
    nb = b->n;
    assert_int_equal(b->status, 200);

    /* a's events then b's are exactly the outbox: no gap, no duplicate */
    assert_int_equal(na + nb, n);
    for (size_t i = 0; i < na; i++)
        assert_int_equal(a->evs[i].id, want[i]);
    for (size_t i = 0; i < nb; i++) {
        assert_int_equal(b->evs[i].id, want[na + i]);
        assert_non_null(b->evs[i].data);
        assert_true(strcmp(b->evs[i].topic, "sites") == 0 || strcmp(b->evs[i].topic, "samples.counts") == 0);
        assert_null(strstr(b->evs[i].data, "\xe5\xbc\xa0\xe4\xb8\x89")); /* never a person */
    }
    sse_close(b);
    /* a joined already: free it without a second join */
    for (size_t i = 0; i < a->n; i++)
        xfree(a->evs[i].data);
    xfree(a->evs);
    buf_release(&a->partial);
    pthread_mutex_destroy(&a->mu);
    xfree(a);
    client_release(&feeder);
    xfree(want);
}

/* SSE scoping: a subdistrict account sees its subdistrict's events only. */
static void
test_sse_scope(void **state)
{
    struct server *srv = *state;
    struct client feeder, subby;
    struct resp r = RESP_INIT;
    struct sse *s, *all;
    char auth[600], vauth[300];
    static const char *const sa[] = { "SA0", "SA1" }, *const sb[] = { "SB0", "SB1" }, *const mixed[] = { "SA0", "SB0" };
    static const char *const topics[] = { "sites", "samples", NULL };
    int64_t *want = NULL, *every = NULL, start;
    size_t n, nall;

    bearer(&feeder, srv, &feeder_token);
    client_init(&subby, srv);
    assert_int_equal(client_login(&subby, "subby", SERVER_PASSWORD, NULL, &r), 200);
    snprintf(auth, sizeof auth, "Cookie: %s=%s", subby.cookie_name, subby.cookie);
    snprintf(vauth, sizeof vauth, "Authorization: Bearer %s", viewer_token.data);
    start = outbox_head(srv);
    s = sse_open(srv, "sites,samples", auth, start);
    all = sse_open(srv, "sites,samples", vauth, start);

    feed_sites(&feeder, "SA", 2, SUB_A);
    feed_sites(&feeder, "SB", 2, SUB_B);
    feed_samples(&feeder, sb, 2, 3);
    feed_samples(&feeder, sa, 2, 1);
    feed_samples(&feeder, mixed, 2, 2);
    feed_samples(&feeder, sb, 2, 1);
    feed_samples(&feeder, sa, 1, 1); /* the last A event */
    feed_samples(&feeder, sb, 1, 1); /* after it: a B event the A stream must not get */

    n = outbox_ids(srv, start, topics, SUB_A, &want);
    nall = outbox_ids(srv, start, topics, NULL, &every);
    assert_true(n >= 2 + 2 + 1 + 1);
    assert_true(nall > n);
    atomic_store(&s->stop_at, (long long)want[n - 1]);
    atomic_store(&all->stop_at, (long long)every[nall - 1]);
    for (int i = 0; i < WAIT_MS / 20 && !(atomic_load(&s->done) && atomic_load(&all->done)); i++)
        usleep(20000);
    assert_true(atomic_load(&s->done));
    assert_true(atomic_load(&all->done));
    assert_int_equal(s->status, 200);

    /* exactly A's events, nothing of B nor district-wide */
    assert_int_equal(s->n, n);
    for (size_t i = 0; i < n; i++) {
        json_t *j = json_loads(s->evs[i].data, 0, NULL);
        assert_int_equal(s->evs[i].id, want[i]);
        assert_non_null(j);
        assert_string_equal(json_string_value(json_object_get(j, "subdistrict")), SUB_A);
        json_decref(j);
    }
    /* a district-wide reader got all of them */
    assert_int_equal(all->n, nall);
    for (size_t i = 0; i < nall; i++)
        assert_int_equal(all->evs[i].id, every[i]);

    sse_close(s);
    sse_close(all);
    client_release(&subby);
    client_release(&feeder);
    resp_release(&r);
    xfree(want);
    xfree(every);
}

/* Dead letter after N attempts (a private server with N = 3), then a manual requeue. */
static struct server priv;

static int
teardown_priv(void **state)
{
    server_release(&priv);
    return teardown(state);
}

static void
test_dead_letter_and_retry(void **state)
{
    struct server *srv = *state;
    struct buf ops = BUF_INIT, secret = BUF_INIT;
    struct client c, feed;
    struct resp r = RESP_INIT;
    struct rx *rx = rx_start();
    static const char *const site[] = { "DL0" };
    char path[128];
    int64_t hook, dead_id = 0, later_id;

    assert_int_equal(server_init(&priv, srv->driver_url), 0);
    assert_int_equal(server_add_token(&priv, "feed", "sites.write,samples.write", &ops, NULL), 0);
    assert_int_equal(server_add_user(&priv, "sam", "sysadmin", NULL, SERVER_PASSWORD, false, NULL), 0);
    assert_int_equal(server_cli(&priv, NULL, NULL, "webhook-allow", "--set", "127.0.0.1", NULL), 0);
    setenv("JIAYUAN_WEBHOOK_MAX_ATTEMPTS", "3", 1);
    int started = server_start(&priv);
    setenv("JIAYUAN_WEBHOOK_MAX_ATTEMPTS", MAX_ATTEMPTS, 1);
    assert_int_equal(started, 0);
    client_init(&c, &priv);
    assert_int_equal(server_enrol(&priv, &c, "sam", NULL, 0), 0);
    bearer(&feed, &priv, &ops);

    rx_set_status(rx, 500);
    hook = make_hook(&c, rx, "samples", &secret);
    feed_sites(&feed, "DL", 1, SUB_A); /* "sites": not subscribed */
    feed_samples(&feed, site, 1, 1);

    /* three attempts, then dead */
    snprintf(path, sizeof path, "/api/v1/webhooks/%lld/deliveries?status=dead", (long long)hook);
    for (int i = 0; i < WAIT_MS / 20; i++) {
        client_call(&c, "GET", path, NULL, &r);
        assert_resp(&r, 200, NULL);
        if (resp_int(&r, "total") == 1)
            break;
        usleep(20000);
    }
    assert_int_equal(resp_int(&r, "total"), 1);
    dead_id = resp_int(&r, "items.0.event_id");
    assert_int_equal(resp_int(&r, "items.0.attempts"), 3);
    /* a coarse outcome, not the receiver's status: the log maps no ports (issue 12) */
    assert_string_equal(resp_str(&r, "items.0.outcome"), "failed");
    assert_null(resp_get(&r, "items.0.http_status"));
    assert_string_equal(resp_str(&r, "items.0.topic"), "samples.counts");
    assert_true(json_is_null(resp_get(&r, "items.0.next_at")));
    assert_int_equal(rx_count(rx), 3);

    /* the stream moved on */
    rx_set_status(rx, 200);
    feed_samples(&feed, site, 1, 1);
    int64_t *want = NULL;
    static const char *const topics[] = { "samples", NULL };
    size_t n = outbox_ids(&priv, dead_id, topics, NULL, &want);
    assert_int_equal(n, 1);
    later_id = want[0];
    wait_delivered(rx, &later_id, 1);

    /* requeue by hand: delivered, out of order (after the later event) */
    snprintf(path, sizeof path, "/api/v1/webhooks/%lld/deliveries/%lld/retry", (long long)hook, (long long)dead_id);
    client_call(&c, "POST", path, NULL, &r);
    assert_resp(&r, 202, NULL);
    assert_string_equal(resp_str(&r, "status"), "pending");
    wait_delivered(rx, &dead_id, 1);
    pthread_mutex_lock(&rx->mu);
    assert_int_equal(rx->hits[rx->n - 1].event_id, dead_id);
    assert_true(rx_verify(&rx->hits[rx->n - 1], secret.data));
    pthread_mutex_unlock(&rx->mu);
    for (int i = 0; i < 100; i++) { /* the log is written after the answer */
        json_t *st = hook_state(&c, hook);
        bool ok = json_integer_value(json_object_get(st, "delivered")) == 2;
        json_decref(st);
        if (ok)
            break;
        usleep(20000);
    }
    json_t *st = hook_state(&c, hook);
    assert_int_equal(json_integer_value(json_object_get(st, "delivered")), 2);
    assert_int_equal(json_integer_value(json_object_get(st, "dead")), 0);
    json_decref(st);
    client_call(&c, "POST", path, NULL, &r);
    assert_resp(&r, 409, "conflict");
    assert_int_equal(count_audit(&priv, "webhook.retry"), 1);

    struct buf log = BUF_INIT;
    server_log(&priv, &log);
    assert_non_null(strstr(log.data, "webhook.dead_letter"));
    buf_release(&log);

    resp_release(&r);
    client_release(&c);
    client_release(&feed);
    xfree(want);
    buf_release_secret(&ops);
    buf_release_secret(&secret);
    assert_int_equal(server_stop(&priv), 0);
    assert_false(server_log_has_sanitizer_report(&priv));
    server_release(&priv);
    rx_stop(rx);
}

/* Throughput: a paused subscription with a backlog is resumed; the drain is timed. The SSE
 * resume of the same backlog is timed too. Figures are printed, not asserted. */
static void
test_throughput(void **state)
{
    struct server *srv = *state;
    struct client feeder;
    struct resp r = RESP_INIT;
    struct rx *rx = rx_start();
    struct buf secret = BUF_INIT;
    const char *codes[100];
    char names[100][8], path[64], vauth[300];
    static const char *const topics[] = { "samples", NULL };
    int64_t *want = NULL, start, hook;
    size_t n;

    bearer(&feeder, srv, &feeder_token);
    feed_sites(&feeder, "TP", 100, SUB_A);
    for (size_t i = 0; i < 100; i++) {
        snprintf(names[i], sizeof names[i], "TP%zu", i);
        codes[i] = names[i];
    }
    hook = make_hook(admin(srv), rx, "samples", &secret);
    snprintf(path, sizeof path, "/api/v1/webhooks/%lld", (long long)hook);
    client_call(admin(srv), "PATCH", path, "{\"active\":false}", &r);
    assert_resp(&r, 200, NULL);
    start = outbox_head(srv);
    for (int b = 0; b < 50; b++)
        feed_samples(&feeder, codes, 100, 1); /* 100 events per batch */
    n = outbox_ids(srv, start, topics, NULL, &want);
    assert_int_equal(n, 5000);

    int64_t t0 = time_mono_us();
    client_call(admin(srv), "PATCH", path, "{\"active\":true}", &r);
    assert_resp(&r, 200, NULL);
    while (rx_count(rx) < n && time_mono_us() - t0 < (int64_t)WAIT_MS * 1000)
        usleep(1000);
    double secs = (double)(time_mono_us() - t0) / 1e6;
    wait_delivered(rx, want, n);
    print_message("push: %s: %zu webhook events delivered to a local receiver in %.2f s = %.0f events/s\n",
                  srv->driver, n, secs, (double)n / secs);
    assert_int_equal(rx_count(rx), n); /* no repeats without failures */

    snprintf(vauth, sizeof vauth, "Authorization: Bearer %s", viewer_token.data);
    t0 = time_mono_us();
    struct sse *s = sse_open(srv, "samples", vauth, start);
    atomic_store(&s->stop_at, (long long)want[n - 1]);
    for (int i = 0; i < WAIT_MS / 5 && !atomic_load(&s->done); i++)
        usleep(5000);
    secs = (double)(time_mono_us() - t0) / 1e6;
    assert_int_equal(s->n, n);
    print_message("push: %s: %zu SSE events replayed after Last-Event-ID in %.2f s = %.0f events/s\n", srv->driver,
                  n, secs, (double)n / secs);
    sse_close(s);

    drop_hook(admin(srv), hook);
    client_release(&feeder);
    resp_release(&r);
    buf_release_secret(&secret);
    xfree(want);
    rx_stop(rx);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_webhooks_api, teardown),
        cmocka_unit_test_teardown(test_receiver_down_then_up, teardown),
        cmocka_unit_test_teardown(test_sse_resume, teardown),
        cmocka_unit_test_teardown(test_sse_scope, teardown),
        cmocka_unit_test_teardown(test_dead_letter_and_retry, teardown_priv),
        cmocka_unit_test_teardown(test_throughput, teardown),
    };
    int failed;
    setenv("JIAYUAN_WEBHOOK_BACKOFF_MS", BACKOFF_MS, 1);
    setenv("JIAYUAN_WEBHOOK_MAX_ATTEMPTS", MAX_ATTEMPTS, 1);
    failed = server_run("push", tests, sizeof tests / sizeof tests[0], prepare);
    if (enrolled_on[0])
        client_release(&sally);
    buf_release_secret(&feeder_token);
    buf_release_secret(&viewer_token);
    return failed;
}
