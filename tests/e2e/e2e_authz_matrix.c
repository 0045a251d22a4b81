/* tests/e2e/e2e_authz_matrix.c - the authorization matrix (issue 12 "Evidence"; S6 访问控制,
 * R1.7), on SQLite and PostgreSQL.
 *
 * Generated at run time FROM the route tables the router serves (api_routes, api/routes.c),
 * so a new route cannot be left out: every route × every principal - no credential, one
 * user of every role of ROLE_TABLE, an API token carrying every scope a token may carry
 * (PERM_TOKEN_ALLOWED), the same token bound to a subdistrict, and a wall display's kiosk
 * cookie. The expected outcome is computed from the route's declared permission and the
 * principal's grants (role_perms, PERM_TOKEN_ALLOWED, KIOSK_PERMS), never from a hand list:
 *   - public route            -> the gate lets it through (not 401/403 from the gate)
 *   - no credential           -> 401 (error.reason auth_required)
 *   - kiosk, not GET/HEAD     -> 403 (kiosk_read_only)
 *   - permission not granted  -> 403 naming the permission (permission_required)
 *   - granted / PERM_LOGIN    -> not 401, and not a denial by the gate (a handler may still
 *                                refuse a caller of the wrong kind, e.g. /auth/me for a token;
 *                                such answers are counted and printed)
 * Objects scoped to a subdistrict (sites, places, cameras, actuals, samples of the small demo
 * district): a subdistrict user and a subdistrict-bound token that hold the permission get
 * their own subdistrict's object (not 401/403/404) and another subdistrict's: a read is
 * 403/404, a change is refused (4xx, never 2xx).
 * A route whose permission is not a known permission, PERM_LOGIN or a reviewed public route
 * fails the test. The expected table is written to docs/security/authz-matrix.md; the test
 * fails when that file is stale (regenerate: scripts/authz-matrix, which runs this program
 * with JIAYUAN_AUTHZ_WRITE=PATH).
 *
 * Requests are made harmless where they are admitted: a body is "[" (invalid JSON, 400
 * before any change; multipart routes answer 415 after the gate), path parameters name no
 * object outside the scope pass, every GET carries ?topics=, (so the event stream answers 400
 * instead of streaming), and POST /api/v1/auth/logout - the one route that ends the caller's
 * session - runs after every other route.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api/api.h"
#include "core/buf.h"
#include "db/db.h"
#include "domain/account/kiosk.h"
#include "domain/platform/perm.h"
#include "server.h"

#define SUB_A "110102001"
#define SUB_B "110102003"
#define NO_OBJECT "999999937"
#define DOC_PATH "docs/security/authz-matrix.md"
#define LOGOUT_METHOD "POST"
#define LOGOUT_PATH "/api/v1/auth/logout"

/* Routes reviewed as public (no credential by design). Any other PERM_PUBLIC route fails. */
static const char *const public_routes[] = {
    "GET /healthz", "GET /readyz", "GET /metrics", "POST /api/v1/auth/login",
    "GET /media/v1/p/{tok}/live.mp4", "GET /media/v1/p/{tok}/index.m3u8", "GET /media/v1/p/{tok}/init.mp4",
    "GET /media/v1/p/{tok}/seg/{file}", "GET /media/v1/p/{tok}/snapshot.jpg", "GET /media/v1/p/{tok}/info",
    "GET /media/v1/embed/{tok}", NULL,
};

/* Objects the demo district scopes by subdistrict: a route "<prefix>" or "<prefix>/…" whose
 * only parameter is {id} is checked in and out of scope. */
/* db_prepare caches statements by the address of their text, so each query is a constant. */
#define KIND_SQL(t, op) "SELECT id FROM " t " WHERE subdistrict " op " ?1 ORDER BY id LIMIT 1 OFFSET ?2"
#define KIND(prefix, t) { prefix, t, KIND_SQL(t, "="), KIND_SQL(t, "<>") }
static const struct scoped_kind {
    const char *prefix, *table, *sql_in, *sql_out;
} scoped_kinds[] = {
    KIND("/api/v1/sites/{id}", "sites"),     KIND("/api/v1/places/{id}", "places"),
    KIND("/api/v1/cameras/{id}", "cameras"), KIND("/api/v1/actuals/{id}", "actuals"),
    KIND("/api/v1/samples/{id}", "samples"),
};
#define NKINDS (sizeof scoped_kinds / sizeof *scoped_kinds)
#define DELETE_OBJECTS 8 /* in-scope objects kept per kind for DELETE (one per principal) */

enum pkind { P_ANON, P_USER, P_TOKEN, P_KIOSK };
enum expect { EXP_PUBLIC, EXP_401, EXP_403, EXP_ALLOW };

struct principal {
    char label[32];
    enum pkind kind;
    enum role role;
    const char *subdistrict; /* NULL: the whole district */
    perm_set perms;
    struct client c;
};

#define MAXP (ROLE__COUNT + 4)
static struct principal P[MAXP];
static size_t NP;
static char ready_on[256];
/* per kind: object ids of SUB_A (in[0] for reads/changes, in[1..] one per DELETE) and SUB_B */
static int64_t in_ids[NKINDS][DELETE_OBJECTS + 1], out_ids[NKINDS];

static int
prepare(struct server *srv)
{
    struct buf out = BUF_INIT;
    int rc = server_cli(srv, NULL, &out, "demo", "--scale", "small", NULL);
    buf_release(&out);
    if (rc)
        return -1;
    for (int r = 0; r < ROLE__COUNT; r++) {
        char name[32];
        snprintf(name, sizeof name, "mx_%s", role_name((enum role)r));
        if (server_add_user(srv, name, role_name((enum role)r), r == ROLE_SUBDISTRICT ? SUB_A : NULL,
                            SERVER_PASSWORD, false, NULL))
            return -1;
    }
    return 0;
}

static const char *
expect_name(enum expect e)
{
    static const char *const names[] = { "open", "401", "403", "ok" };
    return names[e];
}

static bool
route_public_reviewed(const struct route *r)
{
    char key[256];
    snprintf(key, sizeof key, "%s %s", r->method, r->path);
    for (size_t i = 0; public_routes[i]; i++)
        if (strcmp(public_routes[i], key) == 0)
            return true;
    return false;
}

/* The outcome the route's declared permission and p's grants call for. */
static enum expect
expect_of(const struct route *r, const struct principal *p)
{
    if (r->perm == PERM_PUBLIC)
        return EXP_PUBLIC;
    if (p->kind == P_ANON)
        return EXP_401;
    if (p->kind == P_KIOSK && strcmp(r->method, "GET") != 0 && strcmp(r->method, "HEAD") != 0)
        return EXP_403;
    if (r->perm == PERM_LOGIN)
        return EXP_ALLOW;
    return (p->perms & PERM_SET((enum perm_bit)r->perm)) ? EXP_ALLOW : EXP_403;
}

/* The principals: built from ROLE_TABLE, PERM_TOKEN_ALLOWED and KIOSK_PERMS. */
static void
principals_define(void)
{
    NP = 0;
    P[NP++] = (struct principal){ .label = "anonymous", .kind = P_ANON, .role = ROLE_NONE };
    for (int r = 0; r < ROLE__COUNT; r++) {
        struct principal *p = &P[NP++];
        *p = (struct principal){ .kind = P_USER, .role = (enum role)r, .perms = role_perms((enum role)r) };
        snprintf(p->label, sizeof p->label, "%s", role_name((enum role)r));
        p->subdistrict = r == ROLE_SUBDISTRICT ? SUB_A : NULL;
    }
    P[NP++] = (struct principal){ .label = "token", .kind = P_TOKEN, .role = ROLE_NONE, .perms = PERM_TOKEN_ALLOWED };
    P[NP++] = (struct principal){ .label = "token-sub", .kind = P_TOKEN, .role = ROLE_NONE,
                                  .subdistrict = SUB_A, .perms = PERM_TOKEN_ALLOWED };
    P[NP++] = (struct principal){ .label = "kiosk", .kind = P_KIOSK, .role = ROLE_NONE, .perms = KIOSK_PERMS };
}

static void
token_for(struct server *srv, const char *name, perm_set scopes, const char *subdistrict, char *secret, size_t cap)
{
    struct buf fmt = BUF_INIT, out = BUF_INIT;
    perm_format(scopes, &fmt);
    int rc = subdistrict ? server_cli(srv, NULL, &out, "token", "add", "--name", name, "--scopes", fmt.data,
                                      "--subdistrict", subdistrict, NULL)
                         : server_cli(srv, NULL, &out, "token", "add", "--name", name, "--scopes", fmt.data, NULL);
    assert_int_equal(rc, 0);
    const char *s = strstr(out.data, "jy_");
    assert_non_null(s);
    snprintf(secret, cap, "%.*s", (int)strcspn(s, "\r\n"), s);
    buf_release(&fmt);
    buf_release_secret(&out);
}

static int64_t
object_id(struct db *db, const char *sql, size_t offset)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int64_t id = 0;
    int rc;
    if ((rc = db_prepare(db, sql, &st)) == 0 && (rc = db_bind_text(st, 1, SUB_A, strlen(SUB_A))) == 0 &&
        (rc = db_bind_i64(st, 2, (int64_t)offset)) == 0 && (rc = db_step(st, &row)) == 0 && row)
        id = db_col_i64(st, 0);
    db_done(st);
    if (rc)
        fail_msg("%s: error %d", sql, rc);
    return id;
}

/* principals_release closes the clients of the server the principals were signed in on. */
static void
principals_release(void)
{
    if (ready_on[0])
        for (size_t i = 0; i < NP; i++)
            client_release(&P[i].c);
    ready_on[0] = '\0';
}

/* principals_ready signs every principal in on srv (once per server) and finds the demo
 * objects of the scope pass. */
static void
principals_ready(struct server *srv)
{
    struct resp r = RESP_INIT;
    char secret[sizeof P[0].c.bearer];
    struct db *db = NULL;

    if (strcmp(ready_on, srv->dir) == 0)
        return;
    principals_release();
    principals_define();
    snprintf(ready_on, sizeof ready_on, "%s", srv->dir);
    for (size_t i = 0; i < NP; i++) {
        struct principal *p = &P[i];
        client_init(&p->c, srv);
        if (p->kind == P_USER) {
            char name[32];
            snprintf(name, sizeof name, "mx_%s", role_name(p->role));
            if (role_requires_totp(p->role))
                assert_int_equal(server_enrol(srv, &p->c, name, NULL, 0), 0);
            else
                assert_int_equal(client_login(&p->c, name, SERVER_PASSWORD, NULL, &r), 200);
        } else if (p->kind == P_TOKEN) {
            token_for(srv, p->label, p->perms, p->subdistrict, secret, sizeof secret);
            snprintf(p->c.bearer, sizeof p->c.bearer, "%s", secret);
        } else if (p->kind == P_KIOSK) {
            token_for(srv, "mx-kiosk", p->perms, NULL, secret, sizeof secret);
            snprintf(p->c.bearer, sizeof p->c.bearer, "%s", secret);
            client_call(&p->c, "POST", "/api/v1/auth/kiosk", NULL, &r);
            assert_resp(&r, 200, NULL);
            assert_non_null(strstr(p->c.cookie_name, "jy_kiosk"));
            p->c.bearer[0] = '\0';
        }
    }
    assert_int_equal(server_db_open(srv, &db), 0);
    for (size_t k = 0; k < NKINDS; k++) {
        for (size_t j = 0; j <= DELETE_OBJECTS; j++)
            in_ids[k][j] = object_id(db, scoped_kinds[k].sql_in, j);
        out_ids[k] = object_id(db, scoped_kinds[k].sql_out, 0);
    }
    db_close(db);
    resp_release(&r);
}

/* route_path fills the route's parameters: id (0: an id no object has) for {id}, harmless
 * values for the others; GETs get ?topics=, (see the header). Returns the number of params. */
static size_t
route_path(const struct route *r, int64_t id, struct buf *out)
{
    size_t n = 0;
    buf_reset(out);
    for (const char *p = r->path; *p;) {
        if (*p != '{') {
            buf_addch(out, *p++);
            continue;
        }
        size_t len = strcspn(p, "}");
        if (len == 3 && strncmp(p, "{id", 3) == 0 && id)
            buf_printf(out, "%lld", (long long)id);
        else if (strncmp(p, "{tok", 4) == 0)
            buf_adds(out, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        else if (strncmp(p, "{file", 5) == 0)
            buf_adds(out, "0.m4s");
        else if (strncmp(p, "{name", 5) == 0 || strncmp(p, "{plan_no", 8) == 0)
            buf_adds(out, "no-such-name");
        else
            buf_adds(out, NO_OBJECT);
        p += len + (p[len] == '}');
        n++;
    }
    if (strcmp(r->method, "GET") == 0)
        buf_adds(out, "?topics=,");
    return n;
}

static bool
is_gate_denial(const struct resp *r)
{
    const char *reason = resp_str(r, "error.reason");
    return r->status == 401 ||
           (r->status == 403 && reason && (strcmp(reason, "permission_required") == 0 ||
                                           strcmp(reason, "kiosk_read_only") == 0));
}

struct tally {
    size_t requests, scope_checks, handler_refusals, routes;
    struct buf refused; /* this route's admitted callers a handler refused: "label (reason), …" */
};

/* one sends route r as principal p to path with body and checks the expected outcome. */
static void
one(const struct route *r, struct principal *p, const char *path, const char *body, struct tally *t)
{
    struct resp resp = RESP_INIT;
    enum expect e = expect_of(r, p);
    const char *reason;
    client_call(&p->c, r->method, path, body, &resp);
    t->requests++;
    reason = resp_str(&resp, "error.reason");
    switch (e) {
    case EXP_401:
        if (resp.status != 401)
            fail_msg("%s %s as %s: %ld, want 401", r->method, path, p->label, resp.status);
        break;
    case EXP_403:
        if (resp.status != 403 || !is_gate_denial(&resp))
            fail_msg("%s %s as %s: %ld (%s), want 403 from the gate", r->method, path, p->label, resp.status,
                     reason ? reason : "-");
        if (r->perm != PERM_LOGIN && p->kind != P_KIOSK &&
            !strstr(resp_str(&resp, "error.message") ? resp_str(&resp, "error.message") : "",
                    perm_name((enum perm_bit)r->perm)))
            fail_msg("%s %s as %s: the denial does not name '%s'", r->method, path, p->label,
                     perm_name((enum perm_bit)r->perm));
        break;
    case EXP_PUBLIC:
    case EXP_ALLOW:
        if (resp.status == 0 || resp.status >= 500 || is_gate_denial(&resp))
            fail_msg("%s %s as %s: %ld (%s), want admitted (%s)", r->method, path, p->label, resp.status,
                     reason ? reason : "-", expect_name(e));
        if (resp.status == 403) {
            t->handler_refusals++;
            buf_printf(&t->refused, "%s%s (%s)", t->refused.len ? ", " : "", p->label, reason ? reason : "-");
        }
        break;
    }
    resp_release(&resp);
}

static const struct scoped_kind *
scoped_kind_of(const struct route *r, size_t nparams, size_t *k)
{
    if (nparams != 1)
        return NULL;
    for (size_t i = 0; i < NKINDS; i++) {
        size_t n = strlen(scoped_kinds[i].prefix);
        if (strncmp(r->path, scoped_kinds[i].prefix, n) == 0 && (r->path[n] == '\0' || r->path[n] == '/')) {
            *k = i;
            return &scoped_kinds[i];
        }
    }
    return NULL;
}

/* scope_pass checks route r (taking one subdistrict-scoped {id}) for the principals that hold
 * its permission: their own subdistrict's object is reachable, another's is not. */
static void
scope_pass(const struct route *r, size_t k, struct tally *t)
{
    struct buf path = BUF_INIT;
    struct resp resp = RESP_INIT;
    bool del = strcmp(r->method, "DELETE") == 0, get = strcmp(r->method, "GET") == 0;
    size_t ndel = 0;

    for (size_t i = 0; i < NP; i++) {
        struct principal *p = &P[i];
        if (expect_of(r, p) != EXP_ALLOW || p->kind == P_ANON)
            continue;
        int64_t in = del ? (ndel < DELETE_OBJECTS ? in_ids[k][++ndel] : 0) : in_ids[k][0];
        if (in) {
            route_path(r, in, &path);
            client_call(&p->c, r->method, path.data, get ? NULL : "[", &resp);
            t->scope_checks++;
            if (resp.status == 401 || resp.status == 403 || resp.status == 404 || resp.status >= 500)
                fail_msg("%s %s as %s (own subdistrict's %s): %ld", r->method, path.data, p->label,
                         scoped_kinds[k].table, resp.status);
        }
        if (!p->subdistrict || !out_ids[k])
            continue;
        route_path(r, out_ids[k], &path);
        client_call(&p->c, r->method, path.data, get ? NULL : "{}", &resp);
        t->scope_checks++;
        if (get ? (resp.status != 403 && resp.status != 404) : (resp.status < 400 || resp.status >= 500))
            fail_msg("%s %s as %s (another subdistrict's %s): %ld, want %s", r->method, path.data, p->label,
                     scoped_kinds[k].table, resp.status, get ? "403/404" : "refused");
    }
    resp_release(&resp);
    buf_release(&path);
}

static bool
is_logout(const struct route *r)
{
    return strcmp(r->method, LOGOUT_METHOD) == 0 && strcmp(r->path, LOGOUT_PATH) == 0;
}

static void
route_all(const struct route *r, struct tally *t)
{
    struct buf path = BUF_INIT;
    size_t k = 0, nparams;
    bool declared = ((int)r->perm >= 0 && (int)r->perm < (int)PERM__COUNT) || r->perm == PERM_LOGIN ||
                    (r->perm == PERM_PUBLIC && route_public_reviewed(r));
    if (!declared)
        fail_msg("%s %s declares no permission (public routes must be reviewed into public_routes)", r->method,
                 r->path);
    nparams = route_path(r, 0, &path);
    buf_reset(&t->refused);
    for (size_t i = 0; i < NP; i++)
        one(r, &P[i], path.data, strcmp(r->method, "GET") == 0 ? NULL : "[", t);
    if (t->refused.len)
        print_message("  admitted, then refused by the handler: %s %s: %s\n", r->method, r->path, t->refused.data);
    if (scoped_kind_of(r, nparams, &k))
        scope_pass(r, k, t);
    t->routes++;
    buf_release(&path);
}

static void
test_matrix(void **state)
{
    struct server *srv = *state;
    struct tally t = { .refused = BUF_INIT };
    const struct route *logout = NULL;

    principals_ready(srv);
    for (size_t k = 0; k < NKINDS; k++)
        if (!in_ids[k][0] || !out_ids[k])
            fail_msg("no demo %s in both subdistricts: the scope checks cannot run", scoped_kinds[k].table);
    for (size_t ti = 0; api_routes[ti]; ti++)
        for (const struct route *r = api_routes[ti]; r->method; r++) {
            if (is_logout(r))
                logout = r;
            else
                route_all(r, &t);
        }
    assert_non_null(logout);
    route_all(logout, &t);
    print_message("authz matrix (%s): %zu routes x %zu principals = %zu requests, %zu scope checks, "
                  "%zu handler refusals of admitted callers\n",
                  srv->driver, t.routes, NP, t.requests, t.scope_checks, t.handler_refusals);
    assert_int_equal(t.requests, t.routes * NP);
    buf_release(&t.refused);
    server_assert_clean_errors(srv);
    principals_release();
}

static size_t
doc_routes(void)
{
    size_t n = 0;
    for (size_t ti = 0; api_routes[ti]; ti++)
        for (const struct route *r = api_routes[ti]; r->method; r++)
            n++;
    return n;
}

/* doc_render writes the expected matrix as Markdown. */
static void
doc_render(struct buf *out)
{
    size_t nroutes = 0;
    principals_define();
    buf_adds(out, "# Authorization matrix (generated)\n\n"
                  "Generated by `tests/e2e/e2e_authz_matrix.c` from the route tables the server serves "
                  "(`api_routes`, src/api/routes.c) and the grants of each principal (`role_perms`, "
                  "`PERM_TOKEN_ALLOWED`, `KIOSK_PERMS`, src/domain/platform/perm.[ch]). Do not edit: run "
                  "`scripts/authz-matrix` after changing a route or a role. The e2e test sends every cell "
                  "to a real server on SQLite and PostgreSQL and fails when an answer differs or when this "
                  "file is stale.\n\n"
                  "Cells: `open` public route; `401` authentication required; `403` refused by the gate "
                  "(permission, or a kiosk writing); `ok` admitted (the handler then applies its own rules); "
                  "`ok·scope` admitted and also checked against an object of its own subdistrict "
                  "(reachable) and of another (403/404 for reads, refused for changes). `token` carries "
                  "every scope a token may carry; `token-sub` is the same token bound to subdistrict "
                  SUB_A "; `kiosk` is a wall-display cookie (dashboard, stats, events, divisions; GET only).\n\n"
                  "| Method | Path | Permission |");
    for (size_t i = 0; i < NP; i++)
        buf_printf(out, " %s |", P[i].label);
    buf_adds(out, "\n|---|---|---|");
    for (size_t i = 0; i < NP; i++)
        buf_adds(out, "---|");
    buf_addch(out, '\n');
    for (size_t ti = 0; api_routes[ti]; ti++)
        for (const struct route *r = api_routes[ti]; r->method; r++) {
            struct buf path = BUF_INIT;
            size_t k = 0, nparams = route_path(r, 0, &path);
            bool scoped = scoped_kind_of(r, nparams, &k) != NULL;
            const char *perm = r->perm == PERM_PUBLIC  ? "(public)"
                               : r->perm == PERM_LOGIN ? "(signed in)"
                                                       : perm_name((enum perm_bit)r->perm);
            buf_printf(out, "| %s | `%s` | %s |", r->method, r->path, perm);
            for (size_t i = 0; i < NP; i++) {
                enum expect e = expect_of(r, &P[i]);
                buf_printf(out, " %s%s |", expect_name(e), e == EXP_ALLOW && scoped && P[i].subdistrict ? "·scope" : "");
            }
            buf_addch(out, '\n');
            buf_release(&path);
            nroutes++;
        }
    buf_printf(out, "\n%zu routes × %zu principals = %zu cells.\n", nroutes, NP, nroutes * NP);
}

static void
test_doc_current(void **state)
{
    (void)state;
    struct buf want = BUF_INIT, have = BUF_INIT;
    const char *src = getenv("JIAYUAN_SRC");
    char path[1024];
    FILE *f;
    assert_non_null(src);
    snprintf(path, sizeof path, "%s/%s", src, DOC_PATH);
    doc_render(&want);
    if ((f = fopen(path, "r"))) {
        char chunk[4096];
        size_t n;
        while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
            buf_add(&have, chunk, n);
        fclose(f);
    }
    if (have.len != want.len || memcmp(have.data, want.data, want.len) != 0)
        fail_msg("%s is stale: run scripts/authz-matrix", DOC_PATH);
    buf_release(&want);
    buf_release(&have);
}

/* doc_write: JIAYUAN_AUTHZ_WRITE=PATH writes the expected matrix there and runs nothing else
 * (scripts/authz-matrix). */
static int
doc_write(const char *path)
{
    struct buf doc = BUF_INIT;
    FILE *f = fopen(path, "w");
    doc_render(&doc);
    bool ok = f && fwrite(doc.data, 1, doc.len, f) == doc.len;
    ok = f && fclose(f) == 0 && ok;
    if (ok)
        printf("wrote %s (%zu routes x %zu principals)\n", path, doc_routes(), NP);
    buf_release(&doc);
    return ok ? 0 : 1;
}

int
main(void)
{
    if (getenv("JIAYUAN_AUTHZ_WRITE"))
        return doc_write(getenv("JIAYUAN_AUTHZ_WRITE"));
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_doc_current),
        cmocka_unit_test(test_matrix),
    };
    return server_run("authz_matrix", tests, sizeof tests / sizeof tests[0], prepare);
}
