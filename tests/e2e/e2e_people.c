/* tests/e2e/e2e_people.c - the personal test-result query over HTTP (R4.1, R4.2; S1, S6):
 * POST /api/v1/people/lookup on the real `jiayuan serve`, on SQLite and PostgreSQL.
 *
 * A laboratory feed (an API token) pushes two sites, a person's samples in both
 * subdistricts and their results through the ingest routes. District and subdistrict
 * officers then look the person up: masked by default, whatever the spelling of the ID;
 * the district reveals with a reason, a subdistrict officer is refused (403), a viewer has
 * no people.read (403). A wrong ID is a 400 naming its status code without echoing the
 * input; there is no GET route, so an ID in a query string gets 405 and is never read. The
 * person's ID number (and its 15-digit form), name and phone number are greppable nowhere -
 * not in the database file or WAL, the PostgreSQL schema, the log, or any response - except
 * in the one reveal response. Every lookup and reveal is audited by blind index.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/str.h"
#include "core/time.h"
#include "db/db.h"
#include "server.h"

#define SUB_A "110102001"
#define SUB_B "110102003"
#define HOUR 3600000LL
#define LOOKUP "/api/v1/people/lookup"

/* The person (synthetic): check digit X; born 1985, so the 15-digit form exists. */
#define P_ID "11010519850612107X"
#define P_ID15 "110105850612107"
#define P_MASKED "110105********107X"
#define P_NAME "\xe6\xac\xa7\xe9\x98\xb3\xe5\xa8\x9c\xe5\xa8\x9c" /* 欧阳娜娜 */
#define P_NAME_MASKED "\xe6\xac\xa7***"                             /* 欧*** */
#define P_PHONE "13912345678"
/* Someone else sampled in the same tube rounds. */
#define R_ID "110108197511114565"
#define R_NAME "\xe7\x8e\x8b\xe4\xba\x94" /* 王五 */
#define R_PHONE "13587654321"
/* Wrong spellings of the person's ID a user might type: also personal data. */
#define W_CHECKSUM "110105198506121071" /* last digit wrong */
#define W_DATE "110105198502301073"     /* 30 February (check digit right) */
#define REASON "hotline ticket 4711: the resident asks for the record"

static const char *const pii[] = { P_ID, P_ID15, P_NAME, P_PHONE, R_ID, R_NAME, R_PHONE, W_CHECKSUM, W_DATE, NULL };

static struct buf feed_token = BUF_INIT; /* the laboratory feed's secret, per server */

static int
prepare(struct server *srv)
{
    buf_release_secret(&feed_token);
    if (server_add_user(srv, "dist", "district", NULL, SERVER_PASSWORD, false, NULL) ||
        server_add_user(srv, "off_a", "subdistrict", SUB_A, SERVER_PASSWORD, false, NULL) ||
        server_add_user(srv, "off_b", "subdistrict", SUB_B, SERVER_PASSWORD, false, NULL) ||
        server_add_user(srv, "vic", "viewer", NULL, SERVER_PASSWORD, false, NULL) ||
        server_add_token(srv, "lab-feed", "sites.write,samples.write,results.write", &feed_token, NULL))
        return -1;
    return 0;
}

/* post_batch posts a JSON array to path as the feed and expects every item accepted; the
 * new ids go to ids (may be NULL). */
static void
post_batch(struct client *feed, const char *path, json_t *arr, int64_t *ids)
{
    struct resp r = RESP_INIT;
    size_t n = json_array_size(arr);
    char *body = json_dumps(arr, JSON_COMPACT);
    client_call(feed, "POST", path, body, &r);
    assert_resp(&r, 200, NULL);
    if (resp_int(&r, "accepted") != (int64_t)n)
        fail_msg("%s: %s", path, r.body.data);
    for (size_t i = 0; ids && i < n; i++)
        ids[i] = json_integer_value(json_object_get(json_array_get(resp_get(&r, "items"), i), "id"));
    xfree(body);
    json_decref(arr);
    resp_release(&r);
}

static json_t *
sample(const char *ext, const char *id, const char *name, const char *phone, const char *tube, const char *site,
       int64_t at)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "source", "e2e-people", "external_id", ext,
                     "id_number", id, "name", name, "phone", phone, "tube_code", tube, "site_code", site,
                     "collected_at", (json_int_t)at);
}

static json_t *
result(const char *ext, const char *tube, const char *inst, const char *value, int64_t at)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:I, s:s}", "source", "e2e-lab", "external_id", ext, "tube_code", tube,
                     "institution", inst, "tested_at", (json_int_t)at, "result", value);
}

/* The feed: sites in both subdistricts; the person sampled three times (site A 5 h ago,
 * negative; site B 30 h ago, still pending; site A 50 h ago, retested: positive wins), 20
 * days ago (outside the default window) and 10 hours ago (positive, but the sample is
 * deleted: a tombstone); the other person in the first tube too. */
static void
test_feed(void **state)
{
    struct server *srv = *state;
    struct client feed;
    struct resp r = RESP_INIT;
    int64_t now = time_now_ms(), ids[6];
    char path[64];
    json_t *arr;

    client_init(&feed, srv);
    str_copy(feed.bearer, sizeof feed.bearer, feed_token.data);
    post_batch(&feed, "/api/v1/sites/batch",
               json_pack("[{s:s, s:s, s:s, s:s, s:s, s:s, s:f, s:f}, {s:s, s:s, s:s, s:s, s:s, s:s, s:f, s:f}]",
                         "source", "e2e-people", "external_id", "site-a", "code", "PA-1", "name", "Site A", "type",
                         "fixed", "subdistrict", SUB_A, "lon", 116.36, "lat", 39.91, /**/
                         "source", "e2e-people", "external_id", "site-b", "code", "PB-1", "name", "Site B", "type",
                         "temporary", "subdistrict", SUB_B, "lon", 116.37, "lat", 39.92),
               NULL);
    arr = json_array();
    /* the person's ID as sampling apps send it: canonical, lower-case x, 15 digits */
    json_array_append_new(arr, sample("s1", P_ID, P_NAME, P_PHONE, "TP-1", "PA-1", now - 5 * HOUR));
    json_array_append_new(arr, sample("s2", "11010519850612107x", P_NAME, P_PHONE, "TP-2", "PB-1", now - 30 * HOUR));
    json_array_append_new(arr, sample("s3", P_ID15, P_NAME, P_PHONE, "TP-3", "PA-1", now - 50 * HOUR));
    json_array_append_new(arr, sample("s4", P_ID, P_NAME, P_PHONE, "TP-4", "PA-1", now - 20 * 24 * HOUR));
    json_array_append_new(arr, sample("s5", R_ID, R_NAME, R_PHONE, "TP-1", "PA-1", now - 5 * HOUR));
    json_array_append_new(arr, sample("s6", P_ID, P_NAME, P_PHONE, "TP-6", "PB-1", now - 10 * HOUR));
    post_batch(&feed, "/api/v1/samples/batch", arr, ids);
    arr = json_array();
    json_array_append_new(arr, result("r1", "TP-1", "Lab One", "negative", now - 2 * HOUR));
    json_array_append_new(arr, result("r3b", "TP-3", "Lab Two", "positive", now - 40 * HOUR));
    json_array_append_new(arr, result("r3a", "TP-3", "Lab One", "negative", now - 45 * HOUR));
    json_array_append_new(arr, result("r4", "TP-4", "Lab One", "negative", now - 20 * 24 * HOUR + HOUR));
    json_array_append_new(arr, result("r6", "TP-6", "Lab Two", "positive", now - 9 * HOUR));
    post_batch(&feed, "/api/v1/results/batch", arr, NULL);
    assert_true(ids[5] > 0);
    snprintf(path, sizeof path, "/api/v1/samples/%lld", (long long)ids[5]);
    client_call(&feed, "DELETE", path, NULL, &r);
    assert_int_equal(r.status, 204);
    resp_release(&r);
    client_release(&feed);
}

/* expect_history checks a masked 200 answer for the person over the default window. */
static void
expect_history(const struct resp *r)
{
    json_t *tests = resp_get(r, "tests");
    assert_int_equal(r->status, 200);
    assert_string_equal(resp_str(r, "id_number"), P_MASKED);
    assert_string_equal(resp_str(r, "name"), P_NAME_MASKED);
    assert_true(json_is_false(resp_get(r, "revealed")));
    assert_int_equal(resp_int(r, "days"), 14);
    assert_true(json_is_array(tests));
    assert_int_equal(json_array_size(tests), 3);
    assert_string_equal(resp_str(r, "tests.0.tube_code"), "TP-1");
    assert_string_equal(resp_str(r, "tests.0.site_code"), "PA-1");
    assert_string_equal(resp_str(r, "tests.0.site_name"), "Site A");
    assert_string_equal(resp_str(r, "tests.0.institution"), "Lab One");
    assert_string_equal(resp_str(r, "tests.0.result"), "negative");
    assert_true(resp_int(r, "tests.0.sampled_at") > 0);
    assert_true(resp_int(r, "tests.0.tested_at") > resp_int(r, "tests.0.sampled_at"));
    /* pending: no tested_at, institution or result yet */
    assert_string_equal(resp_str(r, "tests.1.tube_code"), "TP-2");
    assert_string_equal(resp_str(r, "tests.1.site_code"), "PB-1");
    assert_true(json_is_null(resp_get(r, "tests.1.tested_at")));
    assert_true(json_is_null(resp_get(r, "tests.1.result")));
    assert_true(json_is_null(resp_get(r, "tests.1.institution")));
    /* retested: the later test wins */
    assert_string_equal(resp_str(r, "tests.2.tube_code"), "TP-3");
    assert_string_equal(resp_str(r, "tests.2.institution"), "Lab Two");
    assert_string_equal(resp_str(r, "tests.2.result"), "positive");
}

/* Masked lookups by district and subdistrict officers, any spelling; the window. */
static void
test_masked_lookups(void **state)
{
    struct server *srv = *state;
    struct client dist, off_b, vic;
    struct resp r = RESP_INIT;
    static const char *const spellings[] = {
        P_ID,
        "11010519850612107x",
        P_ID15,
        " 110105 19850612 107X ",
        "=\"11010519850612107X\"",
        "'11010519850612107x",
        "\xef\xbc\x91\xef\xbc\x91\xef\xbc\x90\xef\xbc\x91\xef\xbc\x90\xef\xbc\x95" "19850612107\xef\xbc\xb8",
        "110105\xe3\x80\x80" "850612\xc2\xa0" "107",
    };

    assert_int_equal(client_sign_in(&dist, srv, "dist"), 200);
    assert_int_equal(client_sign_in(&off_b, srv, "off_b"), 200);
    assert_int_equal(client_sign_in(&vic, srv, "vic"), 200);
    client_call(&dist, "GET", "/metrics", NULL, &r);
    int64_t writes = resp_metric(&r, "jiayuan_db_writer_writes_total");
    assert_true(writes >= 0);
    for (size_t i = 0; i < sizeof spellings / sizeof spellings[0]; i++) {
        client_pack(&dist, "POST", LOOKUP, &r, "{s:s}", "id_number", spellings[i]);
        if (r.status != 200)
            fail_msg("spelling %zu: %ld %s", i, r.status, r.body.data);
        expect_history(&r);
    }
    /* each lookup's audit entry was one write of the group-commit writer (issue 13) */
    client_call(&dist, "GET", "/metrics", NULL, &r);
    assert_int_equal(resp_metric(&r, "jiayuan_db_writer_writes_total"), writes + 8);
    /* a subdistrict officer sees the person sampled in another subdistrict too, masked */
    client_pack(&off_b, "POST", LOOKUP, &r, "{s:s}", "id_number", P_ID);
    expect_history(&r);
    client_pack(&off_b, "POST", LOOKUP, &r, "{s:s, s:b}", "id_number", P_ID, "reveal", 0);
    expect_history(&r);
    /* the window */
    client_pack(&off_b, "POST", LOOKUP, &r, "{s:s, s:i}", "id_number", P_ID, "days", 1);
    assert_resp(&r, 200, NULL);
    assert_int_equal(resp_int(&r, "days"), 1);
    assert_int_equal(json_array_size(resp_get(&r, "tests")), 1);
    client_pack(&off_b, "POST", LOOKUP, &r, "{s:s, s:i}", "id_number", P_ID, "days", 90);
    assert_resp(&r, 200, NULL);
    assert_int_equal(json_array_size(resp_get(&r, "tests")), 4);
    assert_string_equal(resp_str(&r, "tests.3.result"), "negative");
    for (int days = -1; days <= 91; days += 46) { /* -1, 45 (fine), 91 */
        client_pack(&off_b, "POST", LOOKUP, &r, "{s:s, s:i}", "id_number", P_ID, "days", days);
        assert_resp(&r, days == 45 ? 200 : 400, days == 45 ? NULL : "invalid");
    }
    client_pack(&off_b, "POST", LOOKUP, &r, "{s:s, s:i}", "id_number", P_ID, "days", 0);
    assert_resp(&r, 400, "invalid");
    /* the other person in the same tube has their own history */
    client_pack(&dist, "POST", LOOKUP, &r, "{s:s}", "id_number", R_ID);
    assert_resp(&r, 200, NULL);
    assert_string_equal(resp_str(&r, "id_number"), "110108********4565");
    assert_string_equal(resp_str(&r, "name"), "\xe7\x8e\x8b*");
    assert_int_equal(json_array_size(resp_get(&r, "tests")), 1);
    /* a viewer has no people.read */
    client_pack(&vic, "POST", LOOKUP, &r, "{s:s}", "id_number", P_ID);
    assert_resp(&r, 403, "forbidden");

    /* nothing revealed yet: the personal data are nowhere, responses included */
    server_assert_no_plaintext(srv, pii);
    resp_release(&r);
    client_release(&dist);
    client_release(&off_b);
    client_release(&vic);
}

/* expect_no_echo: a 400 naming code, not holding the input. */
static void
expect_invalid(const struct resp *r, const char *input, const char *code)
{
    const char *msg = resp_str(r, "error.message");
    assert_resp(r, 400, "invalid");
    assert_non_null(msg);
    if (code && !strstr(msg, code))
        fail_msg("the message does not name '%s': %s", code, msg);
    if (input[0] && strstr(r->body.data, input))
        fail_msg("the 400 echoes the ID it refused");
}

/* Wrong IDs, IDs in the URL, refused reveals. */
static void
test_refusals(void **state)
{
    struct server *srv = *state;
    struct client dist, off_a, anon;
    struct resp r = RESP_INIT;
    static const struct {
        const char *in, *code;
    } bad[] = {
        { W_CHECKSUM, "bad_checksum" },
        { W_DATE, "bad_date" },
        { "110105198506121000", "excel_corrupted" },
        { "1.10105E+17", "excel_corrupted" },
        { "1101051985061210", "not_an_id" },
        { P_NAME, "not_an_id" },
        { "", "empty" },
    };

    assert_int_equal(client_sign_in(&dist, srv, "dist"), 200);
    assert_int_equal(client_sign_in(&off_a, srv, "off_a"), 200);
    client_init(&anon, srv);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        client_pack(&dist, "POST", LOOKUP, &r, "{s:s}", "id_number", bad[i].in);
        expect_invalid(&r, bad[i].in, bad[i].code);
        /* the same with reveal: the ID is judged first, still not echoed */
        client_pack(&dist, "POST", LOOKUP, &r, "{s:s, s:b, s:s}", "id_number", bad[i].in, "reveal", 1, "reason",
                    REASON);
        expect_invalid(&r, bad[i].in, bad[i].code);
    }
    /* malformed bodies */
    client_call(&dist, "POST", LOOKUP, "{}", &r);
    assert_resp(&r, 400, "invalid");
    client_call(&dist, "POST", LOOKUP, "{\"id_number\":110105198506121070}", &r);
    expect_invalid(&r, "110105198506121070", NULL);
    client_call(&dist, "POST", LOOKUP, "{\"id_number\":\"" P_ID "\",\"idno\":\"" P_ID15 "\"}", &r);
    expect_invalid(&r, P_ID15, NULL);
    assert_null(strstr(r.body.data, P_ID));

    /* no ID in a URL: there is no GET route, and the query string is never read */
    client_call(&dist, "GET", LOOKUP "?id_number=" P_ID, NULL, &r);
    assert_resp(&r, 405, "method_not_allowed");
    client_call(&dist, "GET", LOOKUP "?id_number=" P_ID15 "&days=3", NULL, &r);
    assert_resp(&r, 405, "method_not_allowed");
    client_call(&dist, "GET", LOOKUP, NULL, &r);
    assert_resp(&r, 405, "method_not_allowed");
    client_call(&dist, "POST", LOOKUP "?id_number=" P_ID, "{}", &r);
    assert_resp(&r, 400, "invalid");
    client_call(&dist, "POST", LOOKUP "?id_number=" P_ID, "{\"id_number\":\"" W_CHECKSUM "\"}", &r);
    expect_invalid(&r, W_CHECKSUM, "bad_checksum");
    client_call(&anon, "GET", LOOKUP "?id_number=" P_ID, NULL, &r);
    assert_true(r.status == 401 || r.status == 405);
    client_pack(&anon, "POST", LOOKUP, &r, "{s:s}", "id_number", P_ID);
    assert_resp(&r, 401, "unauthenticated");

    /* reveal: refused for a subdistrict officer, with or without a reason */
    client_pack(&off_a, "POST", LOOKUP, &r, "{s:s, s:b, s:s}", "id_number", P_ID, "reveal", 1, "reason", REASON);
    assert_resp(&r, 403, "forbidden");
    client_pack(&off_a, "POST", LOOKUP, &r, "{s:s, s:b}", "id_number", P_ID, "reveal", 1);
    assert_resp(&r, 403, "forbidden");
    /* the district needs a reason */
    client_pack(&dist, "POST", LOOKUP, &r, "{s:s, s:b}", "id_number", P_ID, "reveal", 1);
    assert_resp(&r, 400, "invalid");
    client_pack(&dist, "POST", LOOKUP, &r, "{s:s, s:b, s:s}", "id_number", P_ID, "reveal", 1, "reason", "");
    assert_resp(&r, 400, "invalid");
    client_pack(&dist, "POST", LOOKUP, &r, "{s:s, s:b, s:s}", "id_number", P_ID, "reveal", 1, "reason", "a\nb");
    assert_resp(&r, 400, "invalid");

    server_assert_no_plaintext(srv, pii);
    server_assert_clean_errors(srv);
    resp_release(&r);
    client_release(&dist);
    client_release(&off_a);
    client_release(&anon);
}

static int64_t
db_count(struct server *srv, const char *sql)
{
    struct db *db = NULL;
    struct db_stmt *st = NULL;
    bool row = false;
    int64_t v;
    assert_int_equal(server_db_open(srv, &db), 0);
    assert_int_equal(db_prepare(db, sql, &st), 0);
    assert_int_equal(db_step(st, &row), 0);
    assert_true(row);
    v = db_col_i64(st, 0);
    db_done(st);
    db_close(db);
    return v;
}

/* The district reveals with a reason: the full values in that one response, and still
 * nowhere else; the audit trail. */
static void
test_reveal(void **state)
{
    struct server *srv = *state;
    struct client dist;
    struct resp r = RESP_INIT;

    assert_int_equal(client_sign_in(&dist, srv, "dist"), 200);
    client_pack(&dist, "POST", LOOKUP, &r, "{s:s, s:b, s:s, s:i}", "id_number", P_ID15, "reveal", 1, "reason",
                REASON, "days", 14);
    assert_resp(&r, 200, NULL);
    assert_true(json_is_true(resp_get(&r, "revealed")));
    assert_string_equal(resp_str(&r, "id_number"), P_ID);
    assert_string_equal(resp_str(&r, "name"), P_NAME);
    assert_int_equal(json_array_size(resp_get(&r, "tests")), 3);
    assert_string_equal(resp_str(&r, "tests.2.result"), "positive");
    assert_null(strstr(r.body.data, P_PHONE));

    /* the ID and the name are in exactly this response; the database and the log hold
     * none of the personal data, no response holds the phone or the other spellings */
    assert_int_equal(server_count_responses(srv, P_ID), 1);
    assert_int_equal(server_count_responses(srv, P_NAME), 1);
    server_assert_absent(srv, SCAN_DB | SCAN_LOG, pii);
    {
        const char *const never[] = { P_ID15, P_PHONE, R_ID, R_NAME, R_PHONE, W_CHECKSUM, W_DATE, NULL };
        server_assert_no_plaintext(srv, never);
    }
    server_assert_clean_errors(srv);

    /* audited by blind index: the person's lookups and the reveal share one target, the
     * other person has another; refused and invalid requests answered nothing */
    /* the subdistrict user's refused reveals are audited as denied (S6: every attempt) */
    assert_int_equal(db_count(srv, "SELECT COUNT(*) FROM audit_log WHERE action = 'people.reveal' AND result = 'ok'"), 1);
    assert_int_equal(db_count(srv, "SELECT COUNT(*) FROM audit_log WHERE action = 'people.reveal'"
                                   " AND result = 'denied' AND actor <> 'dist'"), 2);
    assert_int_equal(db_count(srv, "SELECT COUNT(*) FROM audit_log WHERE action = 'people.reveal'"
                                   " AND detail = '" REASON "' AND actor = 'dist' AND result = 'ok'"),
                     1);
    assert_int_equal(db_count(srv, "SELECT COUNT(*) FROM audit_log WHERE action = 'people.lookup'"), 14);
    assert_int_equal(db_count(srv, "SELECT COUNT(*) FROM audit_log WHERE action IN ('people.lookup',"
                                   " 'people.reveal') AND (target NOT LIKE 'blind:%' OR LENGTH(target) <> 22)"),
                     0);
    assert_int_equal(db_count(srv, "SELECT COUNT(DISTINCT target) FROM audit_log WHERE action IN"
                                   " ('people.lookup', 'people.reveal')"),
                     2);
    assert_int_equal(db_count(srv, "SELECT COUNT(*) FROM audit_log a WHERE a.action = 'people.lookup' AND"
                                   " a.target = (SELECT b.target FROM audit_log b WHERE b.action = 'people.reveal' AND b.result = 'ok')"),
                     13);
    assert_int_equal(db_count(srv, "SELECT COUNT(*) FROM audit_log WHERE action = 'people.lookup'"
                                   " AND actor = 'off_b'"),
                     5);
    resp_release(&r);
    client_release(&dist);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_feed),
        cmocka_unit_test(test_masked_lookups),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_reveal),
    };
    int failed = server_run("e2e_people", tests, sizeof tests / sizeof tests[0], prepare);
    buf_release_secret(&feed_token);
    return failed;
}
