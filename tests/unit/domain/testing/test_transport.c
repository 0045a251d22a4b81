/* tests/unit/domain/testing/test_transport.c - transports of domain/testing/transport.h (R2.5, R2.7 gauge
 * "transports_in_flight"): validation, idempotency, the gauge through arrival and loss,
 * audit and outbox, scope, and that the courier never comes back; on SQLite and PostgreSQL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "apptest.h"
#include "core/alloc.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/time.h"
#include "domain/testing/transport.h"

#define NOW APPTEST_NOW /* 2026-01-01 18:00 Asia/Shanghai */
#define SUB1 APPTEST_SUBDISTRICT
#define SUB2 APPTEST_SUBDISTRICT2

static int64_t
gauge(struct db *db, const char *sub)
{
    return apptest_gauge(db, TRANSPORT_GAUGE, sub);
}

/* recount counts the transports of sub in flight from the raw rows (what gauge should say). */
static int64_t
recount(struct db *db, const char *sub)
{
    return apptest_i64_text(db, "SELECT COUNT(*) FROM transports WHERE status = 'in_transit' AND subdistrict = ?1",
                            sub);
}

/* run ingests JSON text as actor a; returns the outcomes (xfree) and their count. */
static struct ingest_outcome *
run(struct apptest *at, const struct actor *a, const char *text, size_t *n)
{
    return apptest_ingest_text(at, a, &transport_kind, text, n);
}

/* A transport in JSON: ext, box, tubes (a JSON array text), site, extra fields. */
static char *
tjson(const char *ext, const char *tubes, const char *site, const char *extra)
{
    struct buf b = BUF_INIT;
    buf_printf(&b,
               "{\"source\":\"lab-app\",\"external_id\":\"%s\",\"box_code\":\"BOX-%s\",\"tube_codes\":%s,"
               "\"from_site\":\"%s\",\"to_lab\":\"北京某检测实验室\",\"handed_at\":%lld%s%s}",
               ext, ext, tubes, site, (long long)(NOW - 3600000), extra && *extra ? "," : "", extra ? extra : "");
    return buf_detach(&b, NULL);
}

static void
test_validation(void **state)
{
    struct apptest *at = *state;
    struct buf big = BUF_INIT, batch = BUF_INIT;
    struct ingest_outcome *out;
    size_t n = 0;
    static const struct {
        const char *tubes, *site, *extra, *field;
    } cases[] = {
        { "[\"T1\",\"T2\"]", "S1", NULL, NULL },                                  /* 0 valid */
        { "[]", "S1", NULL, "tube_codes" },                                       /* 1 empty */
        { "\"T1\"", "S1", NULL, "tube_codes" },                                   /* 2 not an array */
        { "[\"T1\",\"T1\"]", "S1", NULL, "tube_codes" },                          /* 3 repeated */
        { "[\"T 1\"]", "S1", NULL, "tube_codes" },                                /* 4 bad code */
        { "[\"T1\",7]", "S1", NULL, "tube_codes" },                               /* 5 not a string */
        { "[\"T1\"]", "NOPE", NULL, "from_site" },                                /* 6 unknown site */
        { "[\"T1\"]", "S1", "\"status\":\"received\"", "received_at" },           /* 7 no time */
        { "[\"T1\"]", "S1", "\"status\":\"in_transit\",\"received_at\":1767225600000", "received_at" },
        { "[\"T1\"]", "S1", "\"received_at\":1767225600000", "received_at" },     /* 9 before handed */
        { "[\"T1\"]", "S1", "\"status\":\"gone\"", "status" },                    /* 10 */
        { "[\"T1\"]", "S1", "\"colour\":\"red\"", "" },                           /* 11 unknown key */
        { "[\"T1\"]", "S1", "\"courier\":\"a\\nb\"", "courier" },                 /* 12 control char */
    };
    size_t ncases = sizeof cases / sizeof cases[0];

    time_set_fake_ms(NOW);
    apptest_site(at, "S1", SUB1);
    buf_addch(&batch, '[');
    for (size_t i = 0; i < ncases; i++) {
        char ext[16];
        char *t;
        snprintf(ext, sizeof ext, "v%zu", i);
        t = tjson(ext, cases[i].tubes, cases[i].site, cases[i].extra);
        buf_printf(&batch, "%s%s", i ? "," : "", t);
        xfree(t);
    }
    /* 1001 tube codes, and a handed_at in the future */
    buf_adds(&big, "[");
    for (int i = 0; i < TRANSPORT_TUBES_MAX + 1; i++)
        buf_printf(&big, "%s\"TB%d\"", i ? "," : "", i);
    buf_adds(&big, "]");
    {
        char *t = tjson("toomany", big.data, "S1", NULL);
        buf_printf(&batch, ",%s", t);
        xfree(t);
    }
    buf_printf(&batch,
               ",{\"source\":\"lab-app\",\"external_id\":\"future\",\"box_code\":\"B\",\"tube_codes\":[\"T9\"],"
               "\"from_site\":\"S1\",\"to_lab\":\"lab\",\"handed_at\":%lld}]",
               (long long)(NOW + 3600000));
    out = run(at, &at->admin, batch.data, &n);
    assert_int_equal(n, ncases + 2);
    for (size_t i = 0; i < ncases; i++) {
        char what[16];
        snprintf(what, sizeof what, "case %zu", i);
        apptest_expect_outcome(&out[i], cases[i].field, what);
    }
    assert_int_equal(out[ncases].status, INGEST_REJECTED);
    assert_string_equal(out[ncases].field, "tube_codes");
    assert_int_equal(out[ncases + 1].status, INGEST_REJECTED);
    assert_string_equal(out[ncases + 1].field, "handed_at");
    xfree(out);
    /* exactly 1000 codes is fine */
    buf_reset(&big);
    buf_adds(&big, "[");
    for (int i = 0; i < TRANSPORT_TUBES_MAX; i++)
        buf_printf(&big, "%s\"TB%d\"", i ? "," : "", i);
    buf_adds(&big, "]");
    {
        char *t = tjson("thousand", big.data, "S1", NULL);
        out = run(at, &at->admin, t, &n);
        xfree(t);
    }
    assert_int_equal(out[0].status, INGEST_ACCEPTED);
    assert_int_equal(apptest_i64(at->db, "SELECT COUNT(*) FROM transport_tubes WHERE transport_id = ?1", out[0].id),
                     TRANSPORT_TUBES_MAX);
    xfree(out);
    assert_int_equal(apptest_i64(at->db, "SELECT COUNT(*) FROM transports", 0), 2);
    assert_int_equal(gauge(at->db, SUB1), 2);
    buf_release(&big);
    buf_release(&batch);
}

static void
test_duplicates(void **state)
{
    struct apptest *at = *state;
    struct ingest_outcome *out;
    size_t n = 0;
    char *t;

    time_set_fake_ms(NOW);
    apptest_site(at, "S1", SUB1);
    t = tjson("d1", "[\"T1\",\"T2\",\"T3\"]", "S1", NULL);
    out = run(at, &at->admin, t, &n);
    assert_int_equal(out[0].status, INGEST_ACCEPTED);
    xfree(out);
    out = run(at, &at->admin, t, &n); /* a retry */
    assert_int_equal(out[0].status, INGEST_DUPLICATE);
    xfree(out);
    xfree(t);
    /* the same key twice in one batch, with a different payload: the second is a duplicate */
    {
        char *a = tjson("d2", "[\"T4\"]", "S1", NULL), *b = tjson("d2", "[\"T5\",\"T6\"]", "S1", NULL);
        struct buf batch = BUF_INIT;
        buf_printf(&batch, "[%s,%s]", a, b);
        out = run(at, &at->admin, batch.data, &n);
        assert_int_equal(out[0].status, INGEST_ACCEPTED);
        assert_int_equal(out[1].status, INGEST_DUPLICATE);
        xfree(out);
        xfree(a);
        xfree(b);
        buf_release(&batch);
    }
    assert_int_equal(apptest_i64(at->db, "SELECT COUNT(*) FROM transports", 0), 2);
    assert_int_equal(apptest_i64(at->db, "SELECT COUNT(*) FROM transport_tubes", 0), 4);
    assert_int_equal(gauge(at->db, SUB1), 2);
    assert_int_equal(recount(at->db, SUB1), 2);
    assert_int_equal(apptest_i64(at->db, "SELECT COUNT(*) FROM outbox WHERE topic = 'transports'", 0), 2);
    assert_int_equal(apptest_count_audit(at->db, "transports.ingest", NULL, NULL), 3);
}

static void
test_gauge_arrival_and_loss(void **state)
{
    struct apptest *at = *state;
    struct ingest_outcome *out;
    struct transport_change c;
    struct transport t;
    struct arena arena = ARENA_INIT;
    struct buf batch = BUF_INIT;
    int64_t ids[5];
    size_t n = 0;

    time_set_fake_ms(NOW);
    apptest_site(at, "S1", SUB1);
    apptest_site(at, "S2", SUB2);
    buf_adds(&batch, "[");
    for (int i = 0; i < 4; i++) {
        char ext[8], *x;
        snprintf(ext, sizeof ext, "g%d", i);
        x = tjson(ext, "[\"A\",\"B\"]", i < 3 ? "S1" : "S2", NULL);
        buf_printf(&batch, "%s%s", i ? "," : "", x);
        xfree(x);
    }
    {
        char *x = tjson("g4", "[\"C\"]", "S1", "\"received_at\":1767258000000"); /* arrived: not in flight */
        buf_printf(&batch, ",%s]", x);
        xfree(x);
    }
    out = run(at, &at->admin, batch.data, &n);
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(out[i].status, INGEST_ACCEPTED);
        ids[i] = out[i].id;
    }
    xfree(out);
    assert_int_equal(gauge(at->db, SUB1), 3);
    assert_int_equal(gauge(at->db, SUB2), 1);
    assert_int_equal(apptest_i64(at->db, "SELECT COUNT(*) FROM transports WHERE status = 'received'", 0), 1);

    /* arrival at the lab with a time */
    memset(&c, 0, sizeof c);
    c.received_at = NOW - 60000;
    assert_int_equal(transport_update(&at->app, at->db, &at->admin, ids[0], &c, &arena, &t, apptest_why()), 0);
    assert_string_equal(t.status, "received");
    assert_int_equal(t.received_at, NOW - 60000);
    assert_int_equal(gauge(at->db, SUB1), 2);
    /* the same arrival again: nothing changes, no second event */
    assert_int_equal(transport_update(&at->app, at->db, &at->admin, ids[0], &c, &arena, &t, apptest_why()), 0);
    assert_int_equal(gauge(at->db, SUB1), 2);
    /* status received without a time: now */
    memset(&c, 0, sizeof c);
    c.status = "received";
    assert_int_equal(transport_update(&at->app, at->db, &at->admin, ids[3], &c, &arena, &t, apptest_why()), 0);
    assert_int_equal(t.received_at, NOW);
    assert_int_equal(gauge(at->db, SUB2), 0);
    /* lost, then found */
    c.status = "lost";
    assert_int_equal(transport_update(&at->app, at->db, &at->admin, ids[1], &c, &arena, &t, apptest_why()), 0);
    assert_int_equal(gauge(at->db, SUB1), 1);
    c.status = "received";
    assert_int_equal(transport_update(&at->app, at->db, &at->admin, ids[1], &c, &arena, &t, apptest_why()), 0);
    assert_int_equal(gauge(at->db, SUB1), 1);

    /* refused changes leave everything as it was */
    c.status = "lost"; /* received -> lost */
    assert_int_equal(transport_update(&at->app, at->db, &at->admin, ids[0], &c, &arena, &t, apptest_why()),
                     ERR_CONFLICT);
    c.status = "in_transit";
    assert_int_equal(transport_update(&at->app, at->db, &at->admin, ids[2], &c, &arena, &t, apptest_why()),
                     ERR_INVALID);
    assert_non_null(strstr(apptest_why_text(), "status"));
    c.status = "received";
    c.received_at = NOW - 7 * 3600000LL; /* before the hand-over */
    assert_int_equal(transport_update(&at->app, at->db, &at->admin, ids[2], &c, &arena, &t, apptest_why()),
                     ERR_INVALID);
    assert_non_null(strstr(apptest_why_text(), "received_at"));
    c.received_at = NOW + 3600000; /* in the future */
    assert_int_equal(transport_update(&at->app, at->db, &at->admin, ids[2], &c, &arena, &t, apptest_why()),
                     ERR_INVALID);
    c.status = "lost";
    c.received_at = NOW;
    assert_int_equal(transport_update(&at->app, at->db, &at->admin, ids[2], &c, &arena, &t, apptest_why()),
                     ERR_INVALID);
    memset(&c, 0, sizeof c);
    assert_int_equal(transport_update(&at->app, at->db, &at->admin, ids[2], &c, &arena, &t, apptest_why()),
                     ERR_INVALID);
    c.status = "received";
    assert_int_equal(transport_update(&at->app, at->db, &at->admin, 999999, &c, &arena, &t, apptest_why()),
                     ERR_NOT_FOUND);

    assert_int_equal(gauge(at->db, SUB1), recount(at->db, SUB1));
    assert_int_equal(gauge(at->db, SUB2), recount(at->db, SUB2));
    assert_int_equal(gauge(at->db, SUB1), 1);
    assert_int_equal(apptest_count_audit(at->db, "transports.update", NULL, "ok"), 4);
    assert_int_equal(apptest_i64(at->db, "SELECT COUNT(*) FROM outbox WHERE topic = 'transports'", 0), 5 + 4);
    assert_int_equal(apptest_i64_text(at->db,
                                      "SELECT COUNT(*) FROM outbox WHERE topic = 'transports' AND payload LIKE ?1",
                                      "%\"action\":\"update\"%\"status\":\"lost\"%"),
                     1);
    apptest_audit_intact(at);
    arena_release(&arena);
    buf_release(&batch);
}

static void
test_scope(void **state)
{
    struct apptest *at = *state;
    struct ingest_outcome *out;
    struct transport_query q = { 0 };
    struct transport_change c = { 0 };
    struct transport *items = NULL, t;
    struct arena arena = ARENA_INIT;
    struct actor sub2;
    char *x;
    int64_t total = 0, id1;
    size_t n = 0;

    time_set_fake_ms(NOW);
    apptest_site(at, "S1", SUB1);
    apptest_site(at, "S2", SUB2);
    apptest_scoped(at, SUB2, &sub2);
    x = tjson("s1", "[\"A\"]", "S1", NULL);
    out = run(at, &sub2, x, &n); /* another subdistrict's site */
    assert_int_equal(out[0].status, INGEST_REJECTED);
    assert_string_equal(out[0].field, "from_site");
    xfree(out);
    out = run(at, &at->admin, x, &n);
    assert_int_equal(out[0].status, INGEST_ACCEPTED);
    id1 = out[0].id;
    xfree(out);
    xfree(x);
    x = tjson("s2", "[\"B\"]", "S2", NULL);
    out = run(at, &sub2, x, &n);
    assert_int_equal(out[0].status, INGEST_ACCEPTED);
    xfree(out);
    xfree(x);

    q.limit = 10;
    assert_int_equal(transport_list(at->db, &sub2, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(n, 1);
    assert_int_equal(total, 1);
    assert_string_equal(items[0].subdistrict, SUB2);
    assert_string_equal(items[0].from_site, "S2");
    assert_int_equal(transport_list(at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(n, 2);
    q.subdistrict = SUB1;
    assert_int_equal(transport_list(at->db, &sub2, &q, &arena, &items, &n, &total), ERR_FORBIDDEN);
    assert_int_equal(transport_list(at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(n, 1);
    assert_string_equal(items[0].from_site, "S1");

    assert_int_equal(transport_get(at->db, &sub2, id1, &arena, &t), ERR_NOT_FOUND);
    c.status = "lost";
    assert_int_equal(transport_update(&at->app, at->db, &sub2, id1, &c, &arena, &t, apptest_why()), ERR_NOT_FOUND);
    assert_int_equal(gauge(at->db, SUB1), 1);
    arena_release(&arena);
}

static void
test_reads_never_courier(void **state)
{
    struct apptest *at = *state;
    struct ingest_outcome *out;
    struct transport_query q = { 0 };
    struct transport *items = NULL, t;
    struct arena arena = ARENA_INIT;
    static const char courier[] = "Zhang Sanfeng-7731";
    int64_t total = 0;
    size_t n = 0;
    char *x, extra[96];

    time_set_fake_ms(NOW);
    apptest_site(at, "S1", SUB1);
    snprintf(extra, sizeof extra, "\"courier\":\"%s\"", courier);
    x = tjson("c1", "[\"Z2\",\"Z1\",\"Z3\"]", "S1", extra);
    out = run(at, &at->admin, x, &n);
    assert_int_equal(out[0].status, INGEST_ACCEPTED);
    assert_int_equal(transport_get(at->db, &at->admin, out[0].id, &arena, &t), 0);
    xfree(out);
    xfree(x);
    assert_int_equal(t.n_tubes, 3);
    assert_string_equal(t.tubes[0], "Z1");
    assert_string_equal(t.tubes[2], "Z3");
    assert_string_equal(t.box_code, "BOX-c1");
    assert_string_equal(t.status, "in_transit");
    assert_int_equal(t.tube_count, 3);
    /* sealed at rest: the column holds no plaintext, and no event does */
    {
        struct db_stmt *st = NULL;
        bool row = false;
        size_t len = 0;
        const void *blob;
        assert_int_equal(db_prepare(at->db, "SELECT courier FROM transports", &st), 0);
        assert_int_equal(db_step(st, &row), 0);
        assert_true(row);
        blob = db_col_blob(st, 0, &len);
        assert_true(len > strlen(courier));
        assert_false(apptest_memmem(blob, len, courier, strlen(courier)));
        db_done(st);
    }
    assert_int_equal(apptest_i64_text(at->db, "SELECT COUNT(*) FROM outbox WHERE payload LIKE ?1", "%Zhang%"), 0);
    assert_int_equal(apptest_i64_text(at->db, "SELECT COUNT(*) FROM audit_log WHERE detail LIKE ?1", "%Zhang%"), 0);
    q.limit = 5;
    assert_int_equal(transport_list(at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(n, 1);
    assert_null(items[0].tubes);
    arena_release(&arena);
}

static void
test_list_filters_and_paging(void **state)
{
    struct apptest *at = *state;
    struct ingest_outcome *out;
    struct transport_query q = { 0 };
    struct transport *items = NULL;
    struct arena arena = ARENA_INIT;
    struct buf batch = BUF_INIT;
    int64_t total = 0;
    size_t n = 0;

    time_set_fake_ms(NOW);
    apptest_site(at, "S1", SUB1);
    apptest_site(at, "S2", SUB2);
    buf_adds(&batch, "[");
    for (int i = 0; i < 7; i++) {
        char ext[8], extra[64];
        snprintf(ext, sizeof ext, "p%d", i);
        snprintf(extra, sizeof extra, "\"handed_at\":%lld", (long long)(NOW - (7 - i) * 3600000LL));
        buf_printf(&batch,
                   "%s{\"source\":\"s\",\"external_id\":\"%s\",\"box_code\":\"B%d\",\"tube_codes\":[\"T\"],"
                   "\"from_site\":\"%s\",\"to_lab\":\"lab\",%s%s}",
                   i ? "," : "", ext, i, i % 2 ? "S2" : "S1", extra, i == 6 ? ",\"status\":\"lost\"" : "");
    }
    buf_adds(&batch, "]");
    out = run(at, &at->admin, batch.data, &n);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(out[i].status, INGEST_ACCEPTED);
    xfree(out);

    q.limit = 3;
    assert_int_equal(transport_list(at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(total, 7);
    assert_int_equal(n, 3);
    assert_string_equal(items[0].box_code, "B6");
    q.before_id = items[2].id;
    assert_int_equal(transport_list(at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(n, 3);
    assert_string_equal(items[0].box_code, "B3");
    q.before_id = items[2].id;
    assert_int_equal(transport_list(at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(n, 1);
    assert_string_equal(items[0].box_code, "B0");

    memset(&q, 0, sizeof q);
    q.limit = 50;
    q.status = "lost";
    assert_int_equal(transport_list(at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(n, 1);
    assert_string_equal(items[0].box_code, "B6");
    q.status = NULL;
    q.from_site = "S2";
    assert_int_equal(transport_list(at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(total, 3);
    q.from_site = NULL;
    q.from = NOW - 5 * 3600000LL;
    q.to = NOW - 2 * 3600000LL; /* B2, B3, B4 */
    assert_int_equal(transport_list(at->db, &at->admin, &q, &arena, &items, &n, &total), 0);
    assert_int_equal(total, 3);
    assert_string_equal(items[0].box_code, "B4");
    assert_string_equal(items[2].box_code, "B2");
    assert_int_equal(gauge(at->db, SUB1), 3);
    assert_int_equal(gauge(at->db, SUB2), 3);
    arena_release(&arena);
    buf_release(&batch);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        APPTEST(test_validation),
        APPTEST(test_duplicates),
        APPTEST(test_gauge_arrival_and_loss),
        APPTEST(test_scope),
        APPTEST(test_reads_never_courier),
        APPTEST(test_list_filters_and_paging),
    };
    return apptest_run("domain_transport", tests, sizeof tests / sizeof tests[0]);
}
