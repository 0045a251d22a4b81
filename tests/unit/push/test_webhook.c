/* tests/unit/push/test_webhook.c - the webhook transport (push/webhook.h: URL and topic
 * checks, signature), subscriptions (domain/notify/webhook_sub.h) and the delivery worker
 * (domain/notify/webhook_worker.h) against a real HTTP/1.1 receiver on a loopback socket,
 * on SQLite and PostgreSQL (issue 3 "Push": signed, ordered, at-least-once delivery with
 * back-off, dead letters and requeue; S1 sealed secrets; S6 audit).
 *
 * The receiver (tests/support/rx.h) is a plain POSIX-socket HTTP/1.1 server on its own thread (keep-alive, poll
 * over the listening socket and its connections); it can be taken down (connection
 * refused) and brought up again on the same port, answer 500 to one "poisoned" event, or
 * never answer. Signatures are checked with OpenSSL's HMAC-SM3 (EVP_Q_mac), not with the
 * server's code.
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
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "apptest.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"
#include "core/time.h"
#include "crypto/field.h"
#include "domain/notify/webhook_allow.h"
#include "domain/notify/webhook_sub.h"
#include "domain/notify/webhook_worker.h"
#include "push/outbox.h"
#include "push/webhook.h"
#include "rx.h"

/* The webhook receiver is tests/support/rx.h. */

/* --- fixtures and helpers ----------------------------------------------------------------- */

/* A pool on the test database, for the worker (it takes connections from app.pool). */
static int
push_setup(void **state)
{
    struct apptest *at;
    if (apptest_setup(state))
        return -1;
    at = *state;
    if (db_pool_new(dbtest_url(at->db), "/tmp", 3, &at->app.pool)) {
        apptest_teardown(state);
        return -1;
    }
    /* the secadmin's allow-list: the local receiver (loopback) and the examples' hosts */
    const char *why = NULL;
    if (webhook_allow_set(&at->app, at->db, &at->admin, "127.0.0.1,gis.example.cn,*.example.cn", &why)) {
        apptest_teardown(state);
        return -1;
    }
    return 0;
}

static int
push_teardown(void **state)
{
    struct apptest *at = *state;
    webhook_worker_stop();   /* after a failed test: no-ops otherwise */
    rx_stop(NULL);
    if (at) {
        db_pool_free(at->app.pool);
        at->app.pool = NULL;
    }
    return apptest_teardown(state);
}

#define PUSHTEST(fn) cmocka_unit_test_setup_teardown(fn, push_setup, push_teardown)

static struct webhook_worker_config
cfg_fast(int max_attempts)
{
    struct webhook_worker_config c = { .backoff_ms = 1000, .max_attempts = max_attempts, .timeout_ms = 2000,
                                .poll_ms = 50 };
    return c;
}

/* emit appends one event the way ingest does (lock, append, commit, kick). */
static int64_t
emit(struct db *db, const char *topic, const char *subdistrict, const char *payload)
{
    int64_t id = 0;
    assert_int_equal(db_begin(db), 0);
    assert_int_equal(outbox_lock(db), 0);
    assert_int_equal(outbox_append(db, topic, subdistrict, payload, &id), 0);
    assert_int_equal(db_commit(db), 0);
    push_kick();
    return id;
}

static int64_t
make_sub(struct apptest *at, struct rx *rx, const char *topics, const char *secret, struct buf *generated)
{
    char url[128];
    int64_t id = 0;
    const char *why = NULL;
    snprintf(url, sizeof url, "http://127.0.0.1:%d/hook?k=v", rx->port);
    assert_int_equal(webhook_sub_create(&at->app, at->db, &at->admin, url, topics, secret, generated, &id, &why), 0);
    assert_true(id > 0);
    return id;
}

static const char sql_delivery[] =
    "SELECT attempts, status, outcome, next_at, http_status FROM webhook_deliveries"
    " WHERE webhook_id = ?1 AND event_id = ?2";

struct drow {
    int64_t attempts, http_status, next_at;
    char status[16], outcome[16];
    bool found;
};

static struct drow
delivery(struct db *db, int64_t webhook, int64_t event)
{
    struct db_stmt *st = NULL;
    bool row = false;
    struct drow d = { 0 };
    assert_int_equal(db_prepare(db, sql_delivery, &st), 0);
    assert_int_equal(db_bind_i64(st, 1, webhook), 0);
    assert_int_equal(db_bind_i64(st, 2, event), 0);
    assert_int_equal(db_step(st, &row), 0);
    if (row) {
        size_t n = 0;
        const char *s = db_col_text(st, 1, &n);
        d.found = true;
        d.attempts = db_col_i64(st, 0);
        str_copy(d.status, sizeof d.status, s ? s : "");
        s = db_col_text(st, 2, &n);
        str_copy(d.outcome, sizeof d.outcome, s ? s : "");
        d.next_at = db_col_i64(st, 3);
        d.http_status = db_col_i64(st, 4); /* no longer written: always 0 */
    }
    db_done(st);
    return d;
}

static int64_t
cursor_of(struct db *db, int64_t webhook)
{
    return apptest_i64(db, "SELECT cursor FROM webhooks WHERE id = ?1", webhook);
}

static size_t
pass(struct apptest *at, const struct webhook_worker_config *cfg)
{
    size_t progress = 0;
    int64_t due = 0;
    assert_int_equal(webhook_worker_pass(&at->app, cfg, &progress, &due), 0);
    return progress;
}

/* --- tests ----------------------------------------------------------------------------- */

static void
test_checks(void **state)
{
    char host[256];
    const char *why = NULL;
    char longurl[WEBHOOK_URL_MAX + 32];
    (void)state;

    assert_int_equal(webhook_url_check("https://gis.example.cn:8443/hooks/jy?a=b", host, sizeof host, &why), 0);
    assert_string_equal(host, "gis.example.cn");
    assert_int_equal(webhook_url_check("http://127.0.0.1:9/x", host, sizeof host, NULL), 0);
    assert_string_equal(host, "127.0.0.1");
    static const char *const bad[] = {
        "", "ftp://example.cn/x", "file:///etc/passwd", "gopher://x/", "example.cn/hook", "http://",
        "http://user:pw@example.cn/", "https://user@example.cn/", "http://example.cn@evil.cn/",
        "http://exa mple.cn/", "http://example.cn/\r\nX-Evil: 1", "http://example.cn/\xe4\xb8\xad",
        "javascript:alert(1)", NULL,
    };
    for (const char *const *u = bad; *u; u++) {
        why = NULL;
        assert_int_equal(webhook_url_check(*u, host, sizeof host, &why), ERR_INVALID);
        assert_non_null(why);
        assert_null(strstr(why, "pw")); /* the reason never echoes the URL */
    }
    memset(longurl, 'a', sizeof longurl - 1);
    memcpy(longurl, "http://x/", 9);
    longurl[sizeof longurl - 1] = '\0';
    assert_int_equal(webhook_url_check(longurl, NULL, 0, &why), ERR_INVALID);

    assert_int_equal(webhook_topics_check(""), 0);
    assert_int_equal(webhook_topics_check("sites,samples.counts"), 0);
    assert_int_equal(webhook_topics_check("samples"), 0);
    assert_int_equal(webhook_topics_check("Sites"), ERR_INVALID);
    assert_int_equal(webhook_topics_check("sites,"), ERR_INVALID);
    assert_int_equal(webhook_topics_check(",sites"), ERR_INVALID);
    assert_int_equal(webhook_topics_check("sites,,plans"), ERR_INVALID);
    assert_int_equal(webhook_topics_check("sites;drop"), ERR_INVALID);
    assert_int_equal(webhook_topics_check("a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q"), ERR_INVALID);

    assert_true(webhook_topic_match("", "anything"));
    assert_true(webhook_topic_match("samples", "samples.counts"));
    assert_true(webhook_topic_match("sites,samples.counts", "samples.counts"));
    assert_true(webhook_topic_match("sites,samples.counts", "sites"));
    assert_false(webhook_topic_match("samples", "samplesx"));
    assert_false(webhook_topic_match("samples.counts", "samples"));
    assert_false(webhook_topic_match("sites", "results.counts"));
}

static void
test_sign_and_backoff(void **state)
{
    struct webhook_worker_config cfg = cfg_fast(10);
    char sig[WEBHOOK_SIG_LEN + 1];
    static const char body[] = "{\"id\":7,\"topic\":\"sites\",\"data\":{}}";
    struct rx_hit h = { .body = (char *)body, .len = sizeof body - 1 };
    (void)state;

    assert_int_equal(webhook_sign("s3cret-s3cret-s3cret", 20, "1767225600000", body, sizeof body - 1, sig), 0);
    assert_int_equal(strlen(sig), WEBHOOK_SIG_LEN);
    str_copy(h.ts, sizeof h.ts, "1767225600000");
    str_copy(h.sig, sizeof h.sig, sig);
    assert_true(rx_verify(&h, "s3cret-s3cret-s3cret"));
    assert_false(rx_verify(&h, "s3cret-s3cret-s3creT"));
    str_copy(h.ts, sizeof h.ts, "1767225600001"); /* the timestamp is covered */
    assert_false(rx_verify(&h, "s3cret-s3cret-s3cret"));

    assert_int_equal(webhook_worker_backoff_ms(&cfg, 1), 1000);
    assert_int_equal(webhook_worker_backoff_ms(&cfg, 2), 2000);
    assert_int_equal(webhook_worker_backoff_ms(&cfg, 3), 4000);
    assert_int_equal(webhook_worker_backoff_ms(&cfg, 9), 256000);
    assert_int_equal(webhook_worker_backoff_ms(&cfg, 10), WEBHOOK_BACKOFF_MAX_MS);
    assert_int_equal(webhook_worker_backoff_ms(&cfg, 1000), WEBHOOK_BACKOFF_MAX_MS);

    setenv("JIAYUAN_WEBHOOK_BACKOFF_MS", "25", 1);
    setenv("JIAYUAN_WEBHOOK_MAX_ATTEMPTS", "0", 1); /* out of range: ignored */
    webhook_worker_config_init(&cfg);
    assert_int_equal(cfg.backoff_ms, 25);
    assert_int_equal(cfg.max_attempts, WEBHOOK_MAX_ATTEMPTS);
    assert_int_equal(cfg.timeout_ms, WEBHOOK_TIMEOUT_MS);
    unsetenv("JIAYUAN_WEBHOOK_BACKOFF_MS");
    unsetenv("JIAYUAN_WEBHOOK_MAX_ATTEMPTS");
}

/* The transport alone (push/webhook.h), without a table: one attempt per call, the wire
 * format, non-2xx and refused answers, a missing secret, and cancellation by the caller. */
static atomic_bool post_cancel;

static bool
post_cancelled(void *arg)
{
    (void)arg;
    return atomic_load(&post_cancel);
}

static int
post_teardown(void **state)
{
    (void)state;
    rx_stop(NULL);
    return 0;
}

static void
test_post_transport(void **state)
{
    static const char secret[] = "transport-secret-0123";
    struct outbox_event ev = { 42, 1767225600000, "samples.counts", "110102001", "{\"added\":3}" };
    struct webhook_client *c = NULL;
    struct rx *rx = rx_start();
    char url[64];
    long status = -1;
    const char *error = NULL;
    (void)state;

    snprintf(url, sizeof url, "http://127.0.0.1:%d/in", rx->port);
    struct webhook_post p = { url, secret, sizeof secret - 1, &ev, 10000, true };
    atomic_store(&post_cancel, false);
    assert_int_equal(webhook_client_new(post_cancelled, NULL, &c), 0);

    /* delivered: the headers, the body and a signature OpenSSL agrees with */
    assert_int_equal(webhook_post(c, &p, &status, &error), 0);
    assert_int_equal(status, 200);
    assert_int_equal(rx_count(rx), 1);
    pthread_mutex_lock(&rx->mu);
    struct rx_hit h = rx->hits[0];
    pthread_mutex_unlock(&rx->mu);
    assert_int_equal(h.event_id, 42);
    assert_string_equal(h.topic, "samples.counts");
    assert_string_equal(h.type, "application/json");
    assert_true(rx_verify(&h, secret));
    assert_false(rx_verify(&h, "transport-secret-0124"));
    static const char body[] =
        "{\"id\":42,\"topic\":\"samples.counts\",\"subdistrict\":\"110102001\",\"created_at\":1767225600000,"
        "\"data\":{\"added\":3}}";
    assert_int_equal(h.len, sizeof body - 1);
    assert_memory_equal(h.body, body, sizeof body - 1);

    /* another status: one failed attempt, no retry here (retries are the caller's) */
    rx_set(rx, 503, 0, false);
    assert_int_equal(webhook_post(c, &p, &status, &error), ERR_UNAVAILABLE);
    assert_int_equal(status, 503);
    assert_non_null(error);
    assert_true(error[0] != '\0');
    assert_int_equal(rx_count(rx), 2);

    /* no secret: nothing is sent */
    struct webhook_post unsigned_post = p;
    unsigned_post.secret = NULL;
    rx_set(rx, 200, 0, false);
    assert_int_equal(webhook_post(c, &unsigned_post, &status, &error), ERR_UNAVAILABLE);
    assert_int_equal(status, 0);
    assert_int_equal(rx_count(rx), 2);

    /* refused: no status */
    rx_set_up(rx, false);
    assert_int_equal(webhook_post(c, &p, &status, &error), ERR_UNAVAILABLE);
    assert_int_equal(status, 0);

    /* a receiver that never answers, and a caller that cancels: not an attempt */
    rx_set_up(rx, true);
    rx_set(rx, 200, 0, true);
    atomic_store(&post_cancel, true);
    assert_int_equal(webhook_post(c, &p, &status, &error), ERR_INTERNAL);
    atomic_store(&post_cancel, false);

    /* the same client goes on working after all of that */
    rx_set(rx, 200, 0, false);
    assert_int_equal(webhook_post(c, &p, &status, &error), 0);
    assert_int_equal(status, 200);
    webhook_client_free(c);
    webhook_client_free(NULL);
}

/* Issue 12 (webhook SSRF): an address is judged after resolution, in the socket callback, so
 * a name that resolves to an internal address is refused like the literal; plain http and
 * loopback only when the caller allows loopback. Nothing reaches the receiver. */
static void
test_post_refuses_internal(void **state)
{
    static const char secret[] = "transport-secret-0123";
    struct outbox_event ev = { 7, 1767225600000, "sites", "110102001", "{}" };
    struct webhook_client *c = NULL;
    struct rx *rx = rx_start();
    char url[96];
    long status = -1;
    const char *error = NULL;
    (void)state;

    atomic_store(&post_cancel, false);
    assert_int_equal(webhook_client_new(post_cancelled, NULL, &c), 0);
    const char *const urls[] = { "http://127.0.0.1:%d/in", "https://127.0.0.1:%d/in", "https://localhost:%d/in",
                                 "https://[::1]:%d/in", "https://[::ffff:127.0.0.1]:%d/in", "https://10.0.0.1:%d/in",
                                 "https://169.254.169.254:%d/latest", "https://0.0.0.0:%d/", "https://[fe80::1]:%d/",
                                 "https://224.0.0.1:%d/", NULL };
    for (size_t i = 0; urls[i]; i++) {
        char port[16];
        const char *at = strstr(urls[i], "%d");
        snprintf(port, sizeof port, "%d", rx->port);
        snprintf(url, sizeof url, "%.*s%s%s", (int)(at - urls[i]), urls[i], port, at + 2);
        struct webhook_post p = { url, secret, sizeof secret - 1, &ev, 2000, false };
        if (webhook_post(c, &p, &status, &error) != ERR_FORBIDDEN)
            fail_msg("%s was not refused", url);
        assert_int_equal(status, 0);
    }
    /* allowing loopback lets https through to the socket, never plain http elsewhere */
    snprintf(url, sizeof url, "http://10.0.0.1:%d/in", rx->port);
    struct webhook_post p = { url, secret, sizeof secret - 1, &ev, 2000, true };
    assert_int_equal(webhook_post(c, &p, &status, &error), ERR_FORBIDDEN);
    assert_int_equal(rx_count(rx), 0);
    /* the allowed one goes through */
    snprintf(url, sizeof url, "http://localhost:%d/in", rx->port);
    assert_int_equal(webhook_post(c, &p, &status, &error), 0);
    assert_int_equal(rx_count(rx), 1);
    /* a redirect is not followed: one failed attempt */
    rx_set(rx, 302, 0, false);
    assert_int_equal(webhook_post(c, &p, &status, &error), ERR_UNAVAILABLE);
    assert_int_equal(rx_count(rx), 2);
    webhook_client_free(c);
    rx_stop(rx);

    /* the address classes */
    static const struct {
        const char *ip;
        int want, want_lo; /* 0 allowed; without / with allow_loopback */
    } cases[] = {
        { "8.8.8.8", 0, 0 },          { "203.0.113.9", 0, 0 },        { "127.0.0.1", ERR_FORBIDDEN, 0 },
        { "127.9.9.9", ERR_FORBIDDEN, 0 }, { "10.1.2.3", ERR_FORBIDDEN, ERR_FORBIDDEN },
        { "172.16.0.1", ERR_FORBIDDEN, ERR_FORBIDDEN }, { "172.32.0.1", 0, 0 },
        { "192.168.1.1", ERR_FORBIDDEN, ERR_FORBIDDEN }, { "169.254.169.254", ERR_FORBIDDEN, ERR_FORBIDDEN },
        { "100.64.0.1", ERR_FORBIDDEN, ERR_FORBIDDEN }, { "0.0.0.0", ERR_FORBIDDEN, ERR_FORBIDDEN },
        { "255.255.255.255", ERR_FORBIDDEN, ERR_FORBIDDEN }, { "239.1.1.1", ERR_FORBIDDEN, ERR_FORBIDDEN },
        { "2001:4860::8888", 0, 0 },  { "::1", ERR_FORBIDDEN, 0 },    { "::", ERR_FORBIDDEN, ERR_FORBIDDEN },
        { "fe80::1", ERR_FORBIDDEN, ERR_FORBIDDEN }, { "fd00::1", ERR_FORBIDDEN, ERR_FORBIDDEN },
        { "ff02::1", ERR_FORBIDDEN, ERR_FORBIDDEN }, { "::ffff:10.0.0.1", ERR_FORBIDDEN, ERR_FORBIDDEN },
        { "::ffff:127.0.0.1", ERR_FORBIDDEN, 0 }, { "::ffff:8.8.8.8", 0, 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        struct sockaddr_storage ss;
        memset(&ss, 0, sizeof ss);
        if (strchr(cases[i].ip, ':')) {
            struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
            a6->sin6_family = AF_INET6;
            assert_int_equal(inet_pton(AF_INET6, cases[i].ip, &a6->sin6_addr), 1);
        } else {
            struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
            a4->sin_family = AF_INET;
            assert_int_equal(inet_pton(AF_INET, cases[i].ip, &a4->sin_addr), 1);
        }
        if (webhook_addr_check((struct sockaddr *)&ss, false) != cases[i].want ||
            webhook_addr_check((struct sockaddr *)&ss, true) != cases[i].want_lo)
            fail_msg("%s misjudged", cases[i].ip);
    }
}

/* The allow-list the secadmin keeps (issue 12): grammar, matching, audit of old and new. */
static void
test_allow_list(void **state)
{
    struct apptest *at = *state;
    struct buf list = BUF_INIT;
    const char *why = NULL;

    static const char *const bad[] = { "Gis.example.cn", "a,,b", "a,", "*.", "x y", "http://a.cn", "a..b",
                                       "[::1", "*", NULL };
    for (size_t i = 0; bad[i]; i++) {
        why = NULL;
        if (webhook_allow_set(&at->app, at->db, &at->admin, bad[i], &why) != ERR_INVALID || !why)
            fail_msg("'%s' was accepted", bad[i]);
    }
    assert_int_equal(webhook_allow_set(&at->app, at->db, &at->admin, "gis.example.cn,*.map.cn,[::1]", &why), 0);
    assert_int_equal(webhook_allow_get(at->db, &list), 0);
    assert_string_equal(list.data, "gis.example.cn,*.map.cn,[::1]");
    assert_true(webhook_allow_match(list.data, "gis.example.cn"));
    assert_true(webhook_allow_match(list.data, "GIS.example.cn"));
    assert_false(webhook_allow_match(list.data, "xgis.example.cn"));
    assert_true(webhook_allow_match(list.data, "a.b.map.cn"));
    assert_false(webhook_allow_match(list.data, "map.cn"));
    assert_false(webhook_allow_match(list.data, "evilmap.cn"));
    assert_true(webhook_allow_loopback(list.data));
    assert_false(webhook_allow_loopback("gis.example.cn"));
    assert_true(webhook_allow_loopback("a.cn,127.0.0.1"));
    assert_int_equal(webhook_allow_url(list.data, "https://gis.example.cn/x", &why), 0);
    assert_int_equal(webhook_allow_url(list.data, "http://gis.example.cn/x", &why), ERR_FORBIDDEN);
    assert_int_equal(webhook_allow_url(list.data, "http://[::1]:9/x", &why), 0);
    assert_int_equal(webhook_allow_url("", "https://gis.example.cn/x", &why), ERR_FORBIDDEN);
    /* audited with the old and the new list (setup stored the first) */
    assert_int_equal(apptest_i64(at->db,
                                 "SELECT COUNT(*) FROM audit_log WHERE action = 'settings.webhook_allow.update' AND"
                                 " detail = 'old=127.0.0.1,gis.example.cn,*.example.cn new=gis.example.cn,*.map.cn,[::1]'",
                                 0),
                     1);
    buf_release(&list);
}

static void
test_subscriptions(void **state)
{
    struct apptest *at = *state;
    struct buf secret = BUF_INIT, none = BUF_INIT;
    struct arena arena = ARENA_INIT;
    struct webhook_sub *items = NULL, w;
    struct webhook_patch p = WEBHOOK_PATCH_INIT;
    struct actor scoped = at->admin;
    size_t n = 0;
    int64_t total = 0, id, id2, head;
    const char *why = NULL;
    char target[64];

    time_set_fake_ms(APPTEST_T0);
    emit(at->db, "sites", APPTEST_SUBDISTRICT, "{\"code\":\"S1\"}");
    head = emit(at->db, "samples.counts", APPTEST_SUBDISTRICT, "{\"added\":1}");

    /* generated secret: returned once, sealed at rest */
    assert_int_equal(webhook_sub_create(&at->app, at->db, &at->admin, "https://gis.example.cn/hook?key=abc",
                                        "sites,samples.counts", NULL, &secret, &id, &why),
                     0);
    assert_true(strncmp(secret.data, WEBHOOK_SECRET_PREFIX, strlen(WEBHOOK_SECRET_PREFIX)) == 0);
    assert_int_equal(secret.len, strlen(WEBHOOK_SECRET_PREFIX) + 43);
    {
        struct db_stmt *st = NULL;
        bool row = false;
        size_t blen = 0;
        struct buf opened = BUF_INIT;
        assert_int_equal(db_prepare(at->db, "SELECT secret FROM webhooks WHERE id = ?1", &st), 0);
        assert_int_equal(db_bind_i64(st, 1, id), 0);
        assert_int_equal(db_step(st, &row), 0);
        assert_true(row);
        const void *blob = db_col_blob(st, 0, &blen);
        assert_int_equal(blen, FIELD_SEALED_LEN(secret.len));
        assert_false(apptest_memmem(blob, blen, secret.data, secret.len));
        assert_int_equal(webhook_sub_open_secret(&at->app, blob, blen, &opened), 0);
        assert_string_equal(opened.data, secret.data);
        buf_release_secret(&opened);
        db_done(st);
    }
    /* a given secret is not echoed back */
    assert_int_equal(webhook_sub_create(&at->app, at->db, &at->admin, "https://map.example.cn:8443/in", "",
                                        "0123456789abcdef!", &none, &id2, &why),
                     0);
    assert_int_equal(none.len, 0);
    /* issue 12: only hosts on the secadmin's allow-list, and https (plain http to a listed
     * loopback host only) */
    static const char *const refused[] = { "https://evil.example.org/in", "http://gis.example.cn/in",
                                           "https://10.0.0.5:8080/in", "https://example.cn/in",
                                           "https://localhost:22/", NULL };
    for (size_t i = 0; refused[i]; i++) {
        int64_t x = 0;
        why = NULL;
        assert_int_equal(webhook_sub_create(&at->app, at->db, &at->admin, refused[i], "", NULL, &none, &x, &why),
                         ERR_FORBIDDEN);
        assert_non_null(why);
    }
    p.url = "https://evil.example.org/in";
    assert_int_equal(webhook_sub_update(&at->app, at->db, &at->admin, id, &p, &why), ERR_FORBIDDEN);
    p.url = NULL;

    /* starts at the outbox head */
    assert_int_equal(webhook_sub_get(at->db, &at->admin, id, &arena, &w), 0);
    assert_int_equal(w.cursor, head);
    assert_string_equal(w.url, "https://gis.example.cn/hook?key=abc");
    assert_string_equal(w.topics, "sites,samples.counts");
    assert_true(w.active);
    assert_int_equal(w.delivered + w.pending + w.dead, 0);

    /* bad input */
    static const struct {
        const char *url, *topics, *secret;
    } bad[] = {
        { "ftp://x.cn/", "", NULL },         { "http://a:b@x.cn/", "", NULL },
        { "http://x.cn/", "Sites", NULL },    { "http://x.cn/", "sites", "short" },
        { "http://x.cn/", "sites", "has a space in it!" }, { NULL, "sites", NULL },
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        int64_t x = 0;
        why = NULL;
        assert_int_equal(webhook_sub_create(&at->app, at->db, &at->admin, bad[i].url, bad[i].topics, bad[i].secret,
                                            &none, &x, &why),
                         ERR_INVALID);
        assert_non_null(why);
    }

    /* list: both, counts, no secret anywhere in the struct */
    assert_int_equal(webhook_sub_list(at->db, &at->admin, 0, 10, &arena, &items, &n, &total), 0);
    assert_int_equal(n, 2);
    assert_int_equal(total, 2);
    assert_int_equal(items[0].id, id);
    assert_int_equal(webhook_sub_list(at->db, &at->admin, id, 10, &arena, &items, &n, &total), 0);
    assert_int_equal(n, 1);
    assert_int_equal(items[0].id, id2);

    /* update */
    p.active = 0;
    p.topics = "sites";
    assert_int_equal(webhook_sub_update(&at->app, at->db, &at->admin, id, &p, &why), 0);
    assert_int_equal(webhook_sub_get(at->db, &at->admin, id, &arena, &w), 0);
    assert_false(w.active);
    assert_string_equal(w.topics, "sites");
    assert_string_equal(w.url, "https://gis.example.cn/hook?key=abc");
    p = (struct webhook_patch)WEBHOOK_PATCH_INIT;
    p.url = "http://u:p@x.cn/";
    assert_int_equal(webhook_sub_update(&at->app, at->db, &at->admin, id, &p, &why), ERR_INVALID);
    p.url = "https://gis2.example.cn/h";
    assert_int_equal(webhook_sub_update(&at->app, at->db, &at->admin, 9999, &p, &why), ERR_NOT_FOUND);
    assert_int_equal(webhook_sub_update(&at->app, at->db, &at->admin, id, &p, &why), 0);

    /* scoped actors cannot see or change district-wide subscriptions */
    str_copy(scoped.subdistrict, sizeof scoped.subdistrict, APPTEST_SUBDISTRICT);
    assert_int_equal(webhook_sub_list(at->db, &scoped, 0, 10, &arena, &items, &n, &total), ERR_FORBIDDEN);
    assert_int_equal(webhook_sub_get(at->db, &scoped, id, &arena, &w), ERR_FORBIDDEN);
    assert_int_equal(webhook_sub_delete(&at->app, at->db, &scoped, id), ERR_FORBIDDEN);
    assert_int_equal(webhook_sub_create(&at->app, at->db, &scoped, "http://x.cn/", "", NULL, &none, &id2, &why),
                     ERR_FORBIDDEN);

    /* delete */
    assert_int_equal(webhook_sub_delete(&at->app, at->db, &at->admin, id), 0);
    assert_int_equal(webhook_sub_get(at->db, &at->admin, id, &arena, &w), ERR_NOT_FOUND);
    assert_int_equal(webhook_sub_delete(&at->app, at->db, &at->admin, id), ERR_NOT_FOUND);

    /* audited, host only */
    snprintf(target, sizeof target, "webhook:%lld", (long long)id);
    assert_int_equal(apptest_count_audit(at->db, "webhook.create", target, "ok"), 1);
    assert_int_equal(apptest_count_audit(at->db, "webhook.update", target, "ok"), 2);
    assert_int_equal(apptest_count_audit(at->db, "webhook.delete", target, "ok"), 1);
    assert_int_equal(apptest_i64(at->db, "SELECT COUNT(*) FROM audit_log WHERE detail LIKE '%key=abc%'", 0), 0);
    assert_int_equal(apptest_i64(at->db, "SELECT COUNT(*) FROM audit_log WHERE detail LIKE '%jywh_%'", 0), 0);
    apptest_audit_intact(at);

    buf_release_secret(&secret);
    arena_release(&arena);
}

static void
test_delivery_order_retry_resume(void **state)
{
    struct apptest *at = *state;
    struct webhook_worker_config cfg = cfg_fast(10);
    struct rx *rx;
    struct buf secret = BUF_INIT;
    int64_t t = APPTEST_T0, wid, ev[6];

    time_set_fake_ms(t);
    rx = rx_start();
    emit(at->db, "sites", "", "{\"before\":true}"); /* before the subscription: never sent */
    wid = make_sub(at, rx, "sites,samples", NULL, &secret);
    ev[0] = emit(at->db, "sites", APPTEST_SUBDISTRICT, "{\"code\":\"S1\",\"name\":\"\\u7ad9\\\"q\"}");
    ev[1] = emit(at->db, "results.counts", APPTEST_SUBDISTRICT, "{\"n\":1}"); /* not subscribed */
    ev[2] = emit(at->db, "samples.counts", APPTEST_SUBDISTRICT, "{\"added\":3}");
    ev[3] = emit(at->db, "samples.counts", APPTEST_SUBDISTRICT2, "{\"added\":4}");

    /* receiver down: the first event fails and blocks the rest */
    rx_set_up(rx, false);
    assert_int_equal(pass(at, &cfg), 0);
    struct drow d = delivery(at->db, wid, ev[0]);
    assert_true(d.found);
    assert_string_equal(d.status, "pending");
    assert_int_equal(d.attempts, 1);
    assert_string_equal(d.outcome, "failed");
    assert_int_equal(d.http_status, 0);
    assert_int_equal(d.next_at, t + 1000);
    assert_false(delivery(at->db, wid, ev[2]).found);
    assert_int_equal(cursor_of(at->db, wid), ev[0] - 1);

    /* not due yet: nothing is tried */
    time_set_fake_ms(t + 999);
    assert_int_equal(pass(at, &cfg), 0);
    assert_int_equal(delivery(at->db, wid, ev[0]).attempts, 1);

    /* due, still down: second attempt, back-off doubles */
    time_set_fake_ms(t + 1000);
    pass(at, &cfg);
    d = delivery(at->db, wid, ev[0]);
    assert_int_equal(d.attempts, 2);
    assert_int_equal(d.next_at, t + 1000 + 2000);

    /* a "restart": nothing in memory survives a pass; the state in the database does */
    ev[4] = emit(at->db, "sites", APPTEST_SUBDISTRICT, "{\"code\":\"S2\"}");
    rx_set_up(rx, true);
    time_set_fake_ms(t + 3000);
    assert_int_equal(pass(at, &cfg), 5); /* ev0, ev1 (skipped), ev2, ev3, ev4 */
    assert_int_equal(rx_count(rx), 4);
    d = delivery(at->db, wid, ev[0]);
    assert_string_equal(d.status, "delivered");
    assert_int_equal(d.attempts, 3);
    assert_string_equal(d.outcome, "delivered");
    assert_int_equal(d.http_status, 0);
    assert_false(delivery(at->db, wid, ev[1]).found);
    assert_int_equal(cursor_of(at->db, wid), ev[4]);

    /* in order, signed, with the documented body */
    int64_t want[] = { ev[0], ev[2], ev[3], ev[4] };
    for (size_t i = 0; i < 4; i++) {
        const struct rx_hit *h = &rx->hits[i];
        json_error_t jerr;
        json_t *j = json_loadb(h->body, h->len, JSON_REJECT_DUPLICATES, &jerr);
        assert_non_null(j);
        assert_int_equal(h->event_id, want[i]);
        assert_true(rx_verify(h, secret.data));
        assert_string_equal(h->type, "application/json");
        assert_int_equal(json_integer_value(json_object_get(j, "id")), want[i]);
        assert_string_equal(json_string_value(json_object_get(j, "topic")), h->topic);
        assert_true(json_is_integer(json_object_get(j, "created_at")));
        assert_true(json_is_object(json_object_get(j, "data")));
        assert_true(json_is_string(json_object_get(j, "subdistrict")));
        if (i == 0) {
            assert_string_equal(h->topic, "sites");
            assert_string_equal(json_string_value(json_object_get(json_object_get(j, "data"), "name")), "\xe7\xab\x99\"q");
            assert_string_equal(json_string_value(json_object_get(j, "subdistrict")), APPTEST_SUBDISTRICT);
        }
        if (i == 2)
            assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "data"), "added")), 4);
        json_decref(j);
    }

    /* nothing left: another pass sends nothing */
    assert_int_equal(pass(at, &cfg), 0);
    assert_int_equal(rx_count(rx), 4);

    /* paused: nothing sent; resumed: the backlog arrives */
    struct webhook_patch p = WEBHOOK_PATCH_INIT;
    p.active = 0;
    assert_int_equal(webhook_sub_update(&at->app, at->db, &at->admin, wid, &p, NULL), 0);
    ev[5] = emit(at->db, "samples.counts", APPTEST_SUBDISTRICT, "{\"added\":5}");
    assert_int_equal(pass(at, &cfg), 0);
    assert_int_equal(rx_count(rx), 4);
    p.active = 1;
    assert_int_equal(webhook_sub_update(&at->app, at->db, &at->admin, wid, &p, NULL), 0);
    assert_int_equal(pass(at, &cfg), 1);
    assert_int_equal(rx_count(rx), 5);
    assert_int_equal(rx->hits[4].event_id, ev[5]);

    /* counts for the API */
    struct arena arena = ARENA_INIT;
    struct webhook_sub w;
    assert_int_equal(webhook_sub_get(at->db, &at->admin, wid, &arena, &w), 0);
    assert_int_equal(w.delivered, 5);
    assert_int_equal(w.pending, 0);
    assert_int_equal(w.dead, 0);
    arena_release(&arena);

    rx_stop(rx);
    buf_release_secret(&secret);
}

static void
test_dead_letter_and_requeue(void **state)
{
    struct apptest *at = *state;
    struct webhook_worker_config cfg = cfg_fast(3);
    struct rx *rx;
    struct arena arena = ARENA_INIT;
    struct webhook_delivery *items = NULL;
    size_t n = 0;
    int64_t total = 0, t = APPTEST_T0, wid, poison, after;

    time_set_fake_ms(t);
    rx = rx_start();
    wid = make_sub(at, rx, "samples", "a-secret-of-16-chars", NULL);
    poison = emit(at->db, "samples.counts", APPTEST_SUBDISTRICT, "{\"added\":1}");
    after = emit(at->db, "samples.counts", APPTEST_SUBDISTRICT, "{\"added\":2}");
    rx_set(rx, 200, poison, false);

    assert_int_equal(pass(at, &cfg), 0);
    time_set_fake_ms(t += 1000);
    assert_int_equal(pass(at, &cfg), 0);
    assert_int_equal(delivery(at->db, wid, poison).attempts, 2);
    assert_int_equal(rx_count(rx), 2); /* the events behind it wait */
    time_set_fake_ms(t += 2000);
    assert_int_equal(pass(at, &cfg), 2); /* third attempt: dead; the stream moves on */
    struct drow d = delivery(at->db, wid, poison);
    assert_string_equal(d.status, "dead");
    assert_int_equal(d.attempts, 3);
    assert_string_equal(d.outcome, "failed"); /* not the receiver's 500: the log maps no ports */
    assert_int_equal(d.http_status, 0);
    assert_string_equal(delivery(at->db, wid, after).status, "delivered");
    assert_int_equal(cursor_of(at->db, wid), after);
    assert_int_equal(rx_count(rx), 4);
    assert_int_equal(rx->hits[3].event_id, after);

    /* the log */
    assert_int_equal(webhook_sub_deliveries(at->db, &at->admin, wid, "dead", 0, 10, &arena, &items, &n, &total), 0);
    assert_int_equal(n, 1);
    assert_int_equal(total, 1);
    assert_int_equal(items[0].event_id, poison);
    assert_string_equal(items[0].topic, "samples.counts");
    assert_int_equal(webhook_sub_deliveries(at->db, &at->admin, wid, NULL, 0, 1, &arena, &items, &n, &total), 0);
    assert_int_equal(n, 1);
    assert_int_equal(total, 2);
    assert_int_equal(items[0].event_id, after); /* newest first */
    assert_int_equal(webhook_sub_deliveries(at->db, &at->admin, wid, NULL, after, 10, &arena, &items, &n, &total), 0);
    assert_int_equal(n, 1);
    assert_int_equal(items[0].event_id, poison);
    assert_int_equal(webhook_sub_deliveries(at->db, &at->admin, wid, "bogus", 0, 10, &arena, &items, &n, &total),
                     ERR_INVALID);
    assert_int_equal(webhook_sub_deliveries(at->db, &at->admin, 999, NULL, 0, 10, &arena, &items, &n, &total),
                     ERR_NOT_FOUND);

    /* requeue: only dead letters */
    assert_int_equal(webhook_sub_retry(&at->app, at->db, &at->admin, wid, after), ERR_CONFLICT);
    assert_int_equal(webhook_sub_retry(&at->app, at->db, &at->admin, wid, 123456), ERR_NOT_FOUND);
    assert_int_equal(webhook_sub_retry(&at->app, at->db, &at->admin, 999, poison), ERR_NOT_FOUND);
    assert_int_equal(webhook_sub_retry(&at->app, at->db, &at->admin, wid, poison), 0);
    d = delivery(at->db, wid, poison);
    assert_string_equal(d.status, "pending");
    assert_int_equal(d.attempts, 0);
    assert_int_equal(webhook_sub_retry(&at->app, at->db, &at->admin, wid, poison), ERR_CONFLICT);

    /* still poisoned: counts attempts again on its own, not blocking new events */
    int64_t later = emit(at->db, "samples.counts", APPTEST_SUBDISTRICT, "{\"added\":3}");
    assert_int_equal(pass(at, &cfg), 1);
    assert_string_equal(delivery(at->db, wid, later).status, "delivered");
    d = delivery(at->db, wid, poison);
    assert_string_equal(d.status, "pending");
    assert_int_equal(d.attempts, 1);

    /* the receiver is fixed: the requeued event arrives */
    rx_set(rx, 200, 0, false);
    time_set_fake_ms(t += 1000);
    assert_int_equal(pass(at, &cfg), 1);
    d = delivery(at->db, wid, poison);
    assert_string_equal(d.status, "delivered");
    assert_int_equal(d.attempts, 2);
    assert_int_equal(rx->hits[rx_count(rx) - 1].event_id, poison);
    assert_int_equal(rx->hits[rx_count(rx) - 1].answered, 200);
    char target[64];
    snprintf(target, sizeof target, "webhook:%lld", (long long)wid);
    assert_int_equal(apptest_count_audit(at->db, "webhook.retry", target, "ok"), 1);

    rx_stop(rx);
    arena_release(&arena);
}

static void
test_topics_change_unblocks(void **state)
{
    struct apptest *at = *state;
    struct webhook_worker_config cfg = cfg_fast(10);
    struct rx *rx;
    int64_t wid, a, b;

    time_set_fake_ms(APPTEST_T0);
    rx = rx_start();
    wid = make_sub(at, rx, "sites,samples", "a-secret-of-16-chars", NULL);
    a = emit(at->db, "sites", "", "{}");
    b = emit(at->db, "samples.counts", "", "{}");
    rx_set_up(rx, false);
    pass(at, &cfg);
    assert_string_equal(delivery(at->db, wid, a).status, "pending");
    rx_set_up(rx, true);
    /* "sites" is no longer wanted: the blocked event gets out of the way */
    struct webhook_patch p = WEBHOOK_PATCH_INIT;
    p.topics = "samples";
    assert_int_equal(webhook_sub_update(&at->app, at->db, &at->admin, wid, &p, NULL), 0);
    pass(at, &cfg);
    assert_string_equal(delivery(at->db, wid, a).status, "dead");
    assert_string_equal(delivery(at->db, wid, b).status, "delivered");
    assert_int_equal(rx_count(rx), 1);
    rx_stop(rx);
}

static void
test_worker_thread(void **state)
{
    struct apptest *at = *state;
    struct webhook_worker_config cfg = cfg_fast(10);
    struct rx *rx;
    int64_t wid, ev[50];

    cfg.timeout_ms = 5000;
    rx = rx_start();
    wid = make_sub(at, rx, "", "a-secret-of-16-chars", NULL);
    assert_int_equal(webhook_worker_start(&at->app, &cfg), 0);
    for (size_t i = 0; i < 50; i++)
        ev[i] = emit(at->db, i % 2 ? "sites" : "samples.counts", APPTEST_SUBDISTRICT, "{\"n\":1}");
    for (int i = 0; i < 1000 && rx_count(rx) < 50; i++)
        usleep(10000);
    assert_int_equal(rx_count(rx), 50);
    for (size_t i = 0; i < 50; i++)
        assert_int_equal(rx->hits[i].event_id, ev[i]);
    for (int i = 0; i < 300 && cursor_of(at->db, wid) != ev[49]; i++)
        usleep(10000);
    assert_int_equal(cursor_of(at->db, wid), ev[49]);

    /* a receiver that never answers: webhook_worker_stop aborts the request at once and does not
     * count it as an attempt */
    rx_set(rx, 200, 0, true);
    int64_t hung = emit(at->db, "sites", "", "{}");
    for (int i = 0; i < 500 && rx_count(rx) < 51; i++)
        usleep(10000);
    assert_int_equal(rx_count(rx), 51);
    /* Had webhook_worker_stop waited for the 5 s timeout instead of aborting, the timed-out
     * request would be a failed attempt with a delivery row: behaviour, not a stopwatch. */
    webhook_worker_stop();
    assert_false(delivery(at->db, wid, hung).found);
    assert_int_equal(cursor_of(at->db, wid), ev[49]);
    webhook_worker_stop(); /* twice is fine */
    rx_stop(rx);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checks),
        cmocka_unit_test(test_sign_and_backoff),
        cmocka_unit_test_teardown(test_post_transport, post_teardown),
        cmocka_unit_test_teardown(test_post_refuses_internal, post_teardown),
        PUSHTEST(test_allow_list),
        PUSHTEST(test_subscriptions),
        PUSHTEST(test_delivery_order_retry_resume),
        PUSHTEST(test_dead_letter_and_requeue),
        PUSHTEST(test_topics_change_unblocks),
        PUSHTEST(test_worker_thread),
    };
    return apptest_run("push_webhook", tests, sizeof tests / sizeof tests[0]);
}
