/* tests/e2e/e2e_kiosk.c - the kiosk login of wall displays (大屏, R2.7; S6 访问控制) over
 * HTTP, on SQLite and PostgreSQL: a read-only dashboard.read token exchanged for a kiosk
 * cookie (POST /api/v1/auth/kiosk), what the kiosk may read (the statistics, in its
 * token's subdistrict), that it cannot change anything (every non-GET method 403, audited),
 * which tokens and callers are refused, forged and revoked cookies, the audit trail, and
 * that the token's secret is never stored, logged or echoed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/alloc.h"
#include "server.h"

#define SUBDISTRICT "110102001"
#define OTHER_SUBDISTRICT "110102002"
#define KIOSK_SCOPES "dashboard.read,stats.read,events.read,divisions.read"

static int
prepare(struct server *srv)
{
    if (server_add_user(srv, "kdora", "district", NULL, SERVER_PASSWORD, false, NULL) ||
        server_add_user(srv, "kaudrey", "auditor", NULL, SERVER_PASSWORD, false, NULL))
        return -1;
    return 0;
}

/* A new token with scopes (and a subdistrict scope when sub is not NULL), made through the
 * CLI as an operator does; its secret goes to secret, its id is returned. */
static int64_t
new_token(struct server *srv, const char *name, const char *scopes, const char *sub, char *secret, size_t cap)
{
    struct buf out = BUF_INIT;
    const char *p, *t;
    int64_t id = 0;
    if (sub)
        assert_int_equal(server_cli(srv, NULL, &out, "token", "add", "--name", name, "--scopes", scopes,
                                    "--subdistrict", sub, (char *)NULL),
                         0);
    else
        assert_int_equal(server_cli(srv, NULL, &out, "token", "add", "--name", name, "--scopes", scopes,
                                    (char *)NULL),
                         0);
    p = strstr(out.data, "jy_");
    t = strstr(out.data, "token ");
    assert_non_null(p);
    assert_non_null(t);
    snprintf(secret, cap, "%.*s", (int)strcspn(p, "\r\n"), p);
    assert_int_equal(sscanf(t, "token %lld", (long long *)&id), 1);
    buf_release_secret(&out);
    return id;
}

/* Exchanges secret for a kiosk cookie on c (which then holds only the cookie). */
static void
open_kiosk(struct client *c, const char *secret)
{
    struct resp r = RESP_INIT;
    snprintf(c->bearer, sizeof c->bearer, "%s", secret);
    client_send(c, "POST", "/api/v1/auth/kiosk", NULL, 0, NULL, 0, &r);
    assert_resp(&r, 200, NULL);
    assert_string_equal(resp_str(&r, "viewer.kind"), "kiosk");
    assert_true(resp_int(&r, "expires_at") > 0);
    assert_true(strstr(c->cookie_name, "jy_kiosk") != NULL);
    assert_true(strncmp(c->cookie, "k1.", 3) == 0);
    c->bearer[0] = '\0';
    resp_release(&r);
}

static void
test_kiosk_reads_but_never_writes(void **state)
{
    struct server *srv = *state;
    struct client k, t;
    struct resp r = RESP_INIT, rt = RESP_INIT;
    char secret[128];
    static const struct {
        const char *method, *path, *body;
    } writes[] = {
        { "POST", "/api/v1/samples", "{}" },
        { "POST", "/api/v1/samples/batch", "[]" },
        { "POST", "/api/v1/auth/kiosk", NULL },
        { "POST", "/api/v1/auth/logout", "{}" },
        { "POST", "/api/v1/auth/password", "{}" },
        { "POST", "/api/v1/tokens", "{}" },
        { "DELETE", "/api/v1/tokens/1", NULL },
        { "POST", "/api/v1/webhooks", "{}" },
    };

    new_token(srv, "wall-1", KIOSK_SCOPES, NULL, secret, sizeof secret);
    client_init(&k, srv);
    client_init(&t, srv);
    open_kiosk(&k, secret);

    /* the screen's reads answer as they do for the token itself */
    client_call(&k, "GET", "/api/v1/stats/overview", NULL, &r);
    assert_resp(&r, 200, NULL);
    snprintf(t.bearer, sizeof t.bearer, "%s", secret);
    client_call(&t, "GET", "/api/v1/stats/overview", NULL, &rt);
    assert_resp(&rt, 200, NULL);
    assert_true(json_equal(r.json, rt.json));
    client_call(&k, "GET", "/api/v1/stats/plan_trend", NULL, &r);
    assert_resp(&r, 200, NULL);
    client_call(&k, "GET", "/api/v1/divisions", NULL, &r);
    assert_resp(&r, 200, NULL);
    client_call(&k, "GET", "/api/v1/auth/kiosk", NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_string_equal(resp_str(&r, "kind"), "kiosk");
    assert_null(resp_str(&r, "subdistrict"));
    assert_int_equal(json_array_size(resp_get(&r, "perms")), 4);

    /* nothing beyond its scopes, no user profile */
    client_call(&k, "GET", "/api/v1/transports", NULL, &r);
    assert_resp(&r, 403, "forbidden");
    client_call(&k, "GET", "/api/v1/auth/me", NULL, &r);
    assert_resp(&r, 403, "forbidden");

    /* no change of any kind, whatever the route asks for */
    for (size_t i = 0; i < sizeof writes / sizeof *writes; i++) {
        const char *b = writes[i].body;
        client_send(&k, writes[i].method, writes[i].path, b, b ? strlen(b) : 0, NULL, 0, &r);
        if (r.status != 403)
            fail_msg("%s %s by a kiosk: %ld", writes[i].method, writes[i].path, r.status);
        assert_resp(&r, 403, "forbidden");
    }
    /* the cookie still works afterwards: a refusal does not end it */
    client_call(&k, "GET", "/api/v1/stats/overview", NULL, &r);
    assert_resp(&r, 200, NULL);

    resp_release(&r);
    resp_release(&rt);
    client_release(&k);
    client_release(&t);
}

static void
test_kiosk_scope(void **state)
{
    struct server *srv = *state;
    struct client k;
    struct resp r = RESP_INIT;
    char secret[128], path[128];

    new_token(srv, "wall-sub", KIOSK_SCOPES, SUBDISTRICT, secret, sizeof secret);
    client_init(&k, srv);
    open_kiosk(&k, secret);
    client_call(&k, "GET", "/api/v1/auth/kiosk", NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_string_equal(resp_str(&r, "subdistrict"), SUBDISTRICT);
    snprintf(path, sizeof path, "/api/v1/stats/overview?subdistrict=%s", SUBDISTRICT);
    client_call(&k, "GET", path, NULL, &r);
    assert_resp(&r, 200, NULL);
    snprintf(path, sizeof path, "/api/v1/stats/overview?subdistrict=%s", OTHER_SUBDISTRICT);
    client_call(&k, "GET", path, NULL, &r);
    assert_resp(&r, 403, "forbidden");
    resp_release(&r);
    client_release(&k);
}

static void
test_kiosk_refusals(void **state)
{
    struct server *srv = *state;
    struct client c;
    struct resp r = RESP_INIT;
    char writer[128], statsonly[128], good[128], saved[256];
    int64_t good_id;

    client_init(&c, srv);
    /* a token that could write is never put on a wall */
    new_token(srv, "wall-writer", "dashboard.read,stats.read,samples.write", NULL, writer, sizeof writer);
    snprintf(c.bearer, sizeof c.bearer, "%s", writer);
    client_send(&c, "POST", "/api/v1/auth/kiosk", NULL, 0, NULL, 0, &r);
    assert_resp(&r, 403, "forbidden");
    assert_true(c.cookie[0] == '\0');
    /* nor one without dashboard.read */
    new_token(srv, "wall-stats", "stats.read", NULL, statsonly, sizeof statsonly);
    snprintf(c.bearer, sizeof c.bearer, "%s", statsonly);
    client_send(&c, "POST", "/api/v1/auth/kiosk", NULL, 0, NULL, 0, &r);
    assert_resp(&r, 403, "forbidden");
    /* no credentials, a wrong token */
    c.bearer[0] = '\0';
    client_send(&c, "POST", "/api/v1/auth/kiosk", NULL, 0, NULL, 0, &r);
    assert_resp(&r, 401, "unauthenticated");
    snprintf(c.bearer, sizeof c.bearer, "jy_%s", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    client_send(&c, "POST", "/api/v1/auth/kiosk", NULL, 0, NULL, 0, &r);
    assert_resp(&r, 401, "unauthenticated");
    c.bearer[0] = '\0';
    /* a user session is not turned into a kiosk */
    assert_int_equal(client_login(&c, "kdora", SERVER_PASSWORD, NULL, &r), 200);
    client_send(&c, "POST", "/api/v1/auth/kiosk", NULL, 0, NULL, 0, &r);
    assert_resp(&r, 403, "forbidden");
    client_release(&c);

    /* forged, altered and revoked cookies */
    good_id = new_token(srv, "wall-2", KIOSK_SCOPES, NULL, good, sizeof good);
    client_init(&c, srv);
    open_kiosk(&c, good);
    snprintf(saved, sizeof saved, "%s", c.cookie);
    c.cookie[strlen(c.cookie) - 1] ^= 1; /* the tag's last character */
    client_call(&c, "GET", "/api/v1/stats/overview", NULL, &r);
    assert_resp(&r, 401, "unauthenticated");
    snprintf(c.cookie, sizeof c.cookie, "k1.%lld%s", (long long)good_id + 1, strchr(saved + 3, '.'));
    client_call(&c, "GET", "/api/v1/stats/overview", NULL, &r);
    assert_resp(&r, 401, "unauthenticated");
    snprintf(c.cookie, sizeof c.cookie, "k1.%lld.1.%s", (long long)good_id, strrchr(saved, '.') + 1);
    client_call(&c, "GET", "/api/v1/stats/overview", NULL, &r);
    assert_resp(&r, 401, "unauthenticated");
    snprintf(c.cookie, sizeof c.cookie, "%s", "k1...");
    client_call(&c, "GET", "/api/v1/stats/overview", NULL, &r);
    assert_resp(&r, 401, "unauthenticated");
    snprintf(c.cookie, sizeof c.cookie, "%s", saved);
    client_call(&c, "GET", "/api/v1/stats/overview", NULL, &r);
    assert_resp(&r, 200, NULL);
    {
        char id[32];
        snprintf(id, sizeof id, "%lld", (long long)good_id);
        assert_int_equal(server_cli(srv, NULL, NULL, "token", "revoke", "--id", id, (char *)NULL), 0);
    }
    client_call(&c, "GET", "/api/v1/stats/overview", NULL, &r);
    assert_resp(&r, 401, "unauthenticated");
    resp_release(&r);
    client_release(&c);

    /* the secrets were never stored, logged or echoed */
    const char *const needles[] = { writer, statsonly, good, NULL };
    server_assert_absent(srv, SCAN_ALL, needles);
}

static void
test_kiosk_audited(void **state)
{
    struct server *srv = *state;
    struct client a, k;
    struct resp r = RESP_INIT;
    char secret[128], actor[64], path[256];
    int64_t id;
    bool ok = false, denied = false, write_denied = false;

    id = new_token(srv, "wall-audit", KIOSK_SCOPES, NULL, secret, sizeof secret);
    client_init(&k, srv);
    open_kiosk(&k, secret);
    client_call(&k, "POST", "/api/v1/samples", "{}", &r);
    assert_resp(&r, 403, "forbidden");
    snprintf(k.bearer, sizeof k.bearer, "%s", secret);
    client_send(&k, "POST", "/api/v1/auth/kiosk", NULL, 0, NULL, 0, &r); /* fine again: 200 */
    assert_resp(&r, 200, NULL);
    client_release(&k);

    client_init(&a, srv);
    assert_int_equal(server_enrol(srv, &a, "kaudrey", NULL, 0), 0);
    snprintf(actor, sizeof actor, "token:%lld", (long long)id);
    snprintf(path, sizeof path, "/api/v1/audit?limit=500&actor=%s", actor);
    client_call(&a, "GET", path, NULL, &r);
    assert_resp(&r, 200, NULL);
    json_t *items = resp_get(&r, "items"), *e;
    size_t i;
    json_array_foreach(items, i, e) {
        const char *action = json_string_value(json_object_get(e, "action"));
        const char *result = json_string_value(json_object_get(e, "result"));
        ok |= strcmp(action, "auth.kiosk") == 0 && strcmp(result, "ok") == 0;
        denied |= strcmp(action, "auth.kiosk") == 0 && strcmp(result, "denied") == 0;
    }
    snprintf(actor, sizeof actor, "kiosk:%lld", (long long)id);
    snprintf(path, sizeof path, "/api/v1/audit?limit=500&actor=%s&action=access.denied", actor);
    client_call(&a, "GET", path, NULL, &r);
    assert_resp(&r, 200, NULL);
    write_denied = json_array_size(resp_get(&r, "items")) >= 1;
    assert_true(ok);
    assert_false(denied);
    assert_true(write_denied);
    resp_release(&r);
    client_release(&a);
}

static void
test_errors_clean(void **state)
{
    server_assert_clean_errors(*state);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kiosk_reads_but_never_writes),
        cmocka_unit_test(test_kiosk_scope),
        cmocka_unit_test(test_kiosk_refusals),
        cmocka_unit_test(test_kiosk_audited),
        cmocka_unit_test(test_errors_clean),
    };
    return server_run("e2e_kiosk", tests, sizeof tests / sizeof tests[0], prepare);
}
