/* tests/unit/http/test_http.c - the pure parts of http/ and the scope parser of domain/perm.
 *
 * http/router.c: route_find over small route tables defined here ({id} parameters, 404
 * against 405 with the Allow list, HEAD as GET, trailing slashes). http/cookie.c:
 * cookie_get over the shapes browsers and attackers send. domain/platform/perm.c:
 * perm_parse_scopes and perm_format. No server, no database: these are pure functions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/err.h"
#include "domain/platform/perm.h"
#include "http/cookie.h"
#include "http/route.h"

/* ---- router ------------------------------------------------------------------------- */

static int h_dummy(struct req *req) { (void)req; return 0; }

static const struct route users_routes[] = {
    { "GET", "/api/v1/users", h_dummy, PERM_USERS_READ, 0, 0 },
    { "POST", "/api/v1/users", h_dummy, PERM_USERS_WRITE, ROUTE_JSON, 16 * 1024 },
    { "GET", "/api/v1/users/{id}", h_dummy, PERM_USERS_READ, 0, 0 },
    { "PATCH", "/api/v1/users/{id}", h_dummy, PERM_USERS_WRITE, ROUTE_JSON, 16 * 1024 },
    { "DELETE", "/api/v1/users/{id}", h_dummy, PERM_USERS_WRITE, 0, 0 },
    { "POST", "/api/v1/users/{id}/password", h_dummy, PERM_USERS_WRITE, ROUTE_JSON, 1024 },
    { "GET", "/api/v1/users/{id}/sessions/{sid}", h_dummy, PERM_USERS_READ, 0, 0 },
    ROUTE_END
};

static const struct route misc_routes[] = {
    { "GET", "/api/v1/health", h_dummy, PERM_PUBLIC, 0, 0 },
    { "POST", "/api/v1/auth/login", h_dummy, PERM_PUBLIC, ROUTE_JSON | ROUTE_PENDING_OK, 4096 },
    { "PUT", "/api/v1/settings/{key}", h_dummy, PERM_SETTINGS_WRITE, ROUTE_JSON, 4096 },
    { "GET", "/a/{p1}/{p2}/{p3}/{p4}", h_dummy, PERM_LOGIN, 0, 0 },
    { "GET", "/b/{p1}/{p2}/{p3}/{p4}/{p5}", h_dummy, PERM_LOGIN, 0, 0 },
    { "GET", "/", h_dummy, PERM_PUBLIC, 0, 0 },
    ROUTE_END
};

/* A second table naming a path of the first again: the Allow list has no duplicates. */
static const struct route more_routes[] = {
    { "GET", "/api/v1/health", h_dummy, PERM_PUBLIC, 0, 0 },
    { "DELETE", "/api/v1/health", h_dummy, PERM_LOGIN, 0, 0 },
    ROUTE_END
};

static const struct route *const tables[] = { users_routes, misc_routes, more_routes, NULL };

struct find {
    struct req req;
    struct buf allow;
    const struct route *r;
    int rc;
};

static void
find(struct find *f, const char *method, const char *path)
{
    memset(&f->req, 0, sizeof f->req);
    f->allow = (struct buf)BUF_INIT;
    f->r = NULL;
    f->rc = route_find(tables, method, path, &f->req, &f->r, &f->allow);
}

static void
find_done(struct find *f)
{
    arena_release(&f->req.arena);
    buf_release(&f->allow);
}

static void
expect_route(const char *method, const char *path, const struct route *want, size_t nparams,
             const char *p0, const char *p1)
{
    struct find f;
    find(&f, method, path);
    if (f.rc != 0 || f.r != want)
        fail_msg("%s %s: rc %d, route %p, want %p", method, path, f.rc, (const void *)f.r,
                 (const void *)want);
    assert_int_equal(f.req.nparams, nparams);
    if (nparams > 0)
        assert_string_equal(f.req.params[0], p0);
    if (nparams > 1)
        assert_string_equal(f.req.params[1], p1);
    find_done(&f);
}

static void
expect_err(const char *method, const char *path, int rc, const char *allow)
{
    struct find f;
    find(&f, method, path);
    if (f.rc != rc)
        fail_msg("%s %s: rc %d, want %d", method, path, f.rc, rc);
    if (strcmp(f.allow.data, allow) != 0)
        fail_msg("%s %s: allow \"%s\", want \"%s\"", method, path, f.allow.data, allow);
    find_done(&f);
}

static void
test_route_match(void **state)
{
    (void)state;
    expect_route("GET", "/api/v1/users", &users_routes[0], 0, NULL, NULL);
    expect_route("POST", "/api/v1/users", &users_routes[1], 0, NULL, NULL);
    expect_route("GET", "/api/v1/users/42", &users_routes[2], 1, "42", NULL);
    expect_route("PATCH", "/api/v1/users/42", &users_routes[3], 1, "42", NULL);
    expect_route("DELETE", "/api/v1/users/7", &users_routes[4], 1, "7", NULL);
    expect_route("POST", "/api/v1/users/42/password", &users_routes[5], 1, "42", NULL);
    expect_route("GET", "/api/v1/users/42/sessions/9", &users_routes[6], 2, "42", "9");
    expect_route("GET", "/api/v1/health", &misc_routes[0], 0, NULL, NULL);
    expect_route("DELETE", "/api/v1/health", &more_routes[1], 0, NULL, NULL);
    expect_route("PUT", "/api/v1/settings/password_min_length", &misc_routes[2], 1,
                 "password_min_length", NULL);
    expect_route("GET", "/", &misc_routes[5], 0, NULL, NULL);
}

static void
test_route_params(void **state)
{
    (void)state;
    /* parameters are taken verbatim: whatever one segment holds, non-empty */
    expect_route("GET", "/api/v1/users/abc", &users_routes[2], 1, "abc", NULL);
    expect_route("GET", "/api/v1/users/-1", &users_routes[2], 1, "-1", NULL);
    expect_route("GET", "/api/v1/users/a%2Fb", &users_routes[2], 1, "a%2Fb", NULL);
    expect_route("GET", "/api/v1/users/..", &users_routes[2], 1, "..", NULL);
    expect_route("GET", "/api/v1/users/{id}", &users_routes[2], 1, "{id}", NULL);
    expect_route("GET", "/api/v1/users/\xe4\xb8\xad", &users_routes[2], 1, "\xe4\xb8\xad", NULL);

    /* a long segment */
    struct buf path = BUF_INIT;
    buf_adds(&path, "/api/v1/users/");
    for (int i = 0; i < 5000; i++)
        buf_addch(&path, (char)('0' + i % 10));
    struct find f;
    find(&f, "GET", path.data);
    assert_int_equal(f.rc, 0);
    assert_ptr_equal(f.r, &users_routes[2]);
    assert_int_equal(f.req.nparams, 1);
    assert_int_equal(strlen(f.req.params[0]), 5000);
    assert_string_equal(f.req.params[0], path.data + strlen("/api/v1/users/"));
    find_done(&f);
    buf_release(&path);

    /* REQ_MAX_PARAMS parameters match; one more never does */
    find(&f, "GET", "/a/1/2/3/4");
    assert_int_equal(f.rc, 0);
    assert_ptr_equal(f.r, &misc_routes[3]);
    assert_int_equal(f.req.nparams, 4);
    assert_string_equal(f.req.params[0], "1");
    assert_string_equal(f.req.params[3], "4");
    find_done(&f);
    expect_err("GET", "/b/1/2/3/4/5", ERR_NOT_FOUND, "");

    /* a path seen first under another method does not leave parameters behind */
    find(&f, "GET", "/api/v1/users");
    assert_int_equal(f.req.nparams, 0);
    find_done(&f);
}

static void
test_route_not_found(void **state)
{
    (void)state;
    static const char *paths[] = {
        "/api/v1/nothing", "/api/v1/user", "/api/v1/userss", "/api/v1/users/42/passwordx",
        "/api/v1/users/42/password/x", "/api/v1/users/42/sessions", "/api/v1/users/42/sessions/",
        "/api/v1", "", "//", "/API/V1/USERS", "api/v1/users", "/api/v1/users?x=1x/y",
        "/api/v1/users/42/sessions/9/x", "/api/v1//users",
    };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        expect_err("GET", paths[i], ERR_NOT_FOUND, "");
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        expect_err("POST", paths[i], ERR_NOT_FOUND, "");
}

static void
test_route_trailing_slash(void **state)
{
    (void)state;
    /* paths are exact: a trailing slash is another path, and {id} needs a non-empty segment */
    expect_err("GET", "/api/v1/users/", ERR_NOT_FOUND, "");
    expect_err("GET", "/api/v1/users/42/", ERR_NOT_FOUND, "");
    expect_err("GET", "/api/v1/health/", ERR_NOT_FOUND, "");
    expect_err("POST", "/api/v1/users//password", ERR_NOT_FOUND, "");
    expect_err("GET", "/api/v1/users//sessions/9", ERR_NOT_FOUND, "");
    expect_err("GET", "/api/v1/users/42/sessions//", ERR_NOT_FOUND, "");
    expect_err("PUT", "/api/v1/settings/", ERR_NOT_FOUND, "");
}

static void
test_route_method(void **state)
{
    (void)state;
    expect_err("PUT", "/api/v1/users", ERR_METHOD, "GET, POST");
    expect_err("DELETE", "/api/v1/users", ERR_METHOD, "GET, POST");
    expect_err("PUT", "/api/v1/users/42", ERR_METHOD, "GET, PATCH, DELETE");
    expect_err("POST", "/api/v1/users/42", ERR_METHOD, "GET, PATCH, DELETE");
    expect_err("GET", "/api/v1/users/42/password", ERR_METHOD, "POST");
    expect_err("DELETE", "/api/v1/users/42/sessions/9", ERR_METHOD, "GET");
    expect_err("GET", "/api/v1/auth/login", ERR_METHOD, "POST");
    expect_err("GET", "/api/v1/settings/x", ERR_METHOD, "PUT");
    /* two tables, one path: each method once */
    expect_err("POST", "/api/v1/health", ERR_METHOD, "GET, DELETE");
    /* methods are case-sensitive */
    expect_err("get", "/api/v1/users", ERR_METHOD, "GET, POST");
    expect_err("OPTIONS", "/", ERR_METHOD, "GET");
    expect_err("", "/api/v1/health", ERR_METHOD, "GET, DELETE");

    /* allow may be NULL */
    struct req req;
    const struct route *r = NULL;
    memset(&req, 0, sizeof req);
    assert_int_equal(route_find(tables, "PUT", "/api/v1/users", &req, &r, NULL), ERR_METHOD);
    assert_int_equal(route_find(tables, "PUT", "/nope", &req, &r, NULL), ERR_NOT_FOUND);
    assert_int_equal(route_find(tables, "GET", "/api/v1/users/5", &req, &r, NULL), 0);
    assert_ptr_equal(r, &users_routes[2]);
    assert_string_equal(req.params[0], "5");
    arena_release(&req.arena);

    /* an empty list of tables */
    static const struct route *const none[] = { NULL };
    memset(&req, 0, sizeof req);
    assert_int_equal(route_find(none, "GET", "/", &req, &r, NULL), ERR_NOT_FOUND);
    arena_release(&req.arena);
}

static void
test_route_head(void **state)
{
    (void)state;
    expect_route("HEAD", "/api/v1/users", &users_routes[0], 0, NULL, NULL);
    expect_route("HEAD", "/api/v1/users/42", &users_routes[2], 1, "42", NULL);
    expect_route("HEAD", "/api/v1/users/1/sessions/2", &users_routes[6], 2, "1", "2");
    expect_route("HEAD", "/api/v1/health", &misc_routes[0], 0, NULL, NULL);
    /* HEAD on a path with no GET route is a 405, listing what is there */
    expect_err("HEAD", "/api/v1/auth/login", ERR_METHOD, "POST");
    expect_err("HEAD", "/api/v1/users/42/password", ERR_METHOD, "POST");
    expect_err("HEAD", "/nowhere", ERR_NOT_FOUND, "");
    expect_err("head", "/api/v1/users", ERR_METHOD, "GET, POST");
}

/* ---- cookie ------------------------------------------------------------------------- */

static void
expect_cookie(const char *header, const char *name, const char *want)
{
    struct str v = { "untouched", 9 };
    bool found = cookie_get(header, name, &v);
    if (!want) {
        if (found)
            fail_msg("cookie_get(\"%s\", \"%s\") found \"%.*s\", want absent", header ? header : "(null)",
                     name, (int)v.n, v.p);
        return;
    }
    if (!found)
        fail_msg("cookie_get(\"%s\", \"%s\") not found, want \"%s\"", header, name, want);
    if (!str_eq_cstr(v, want))
        fail_msg("cookie_get(\"%s\", \"%s\") = \"%.*s\", want \"%s\"", header, name, (int)v.n, v.p,
                 want);
    /* the value points into the header, no copy */
    assert_true(v.p >= header && v.p + v.n <= header + strlen(header));
}

static void
test_cookie_shapes(void **state)
{
    (void)state;
    expect_cookie("jy_session=abc", "jy_session", "abc");
    expect_cookie("a=1; jy_session=abc; b=2", "jy_session", "abc");
    expect_cookie("a=1;jy_session=abc;b=2", "jy_session", "abc");
    expect_cookie("a=1;  \tjy_session=abc", "jy_session", "abc");
    expect_cookie("a=1; b=2; jy_session=abc", "jy_session", "abc");
    expect_cookie("  jy_session=abc  ", "jy_session", "abc");
    expect_cookie("jy_session = abc ; b=2", "jy_session", "abc");
    expect_cookie(";jy_session=abc;", "jy_session", "abc");
    expect_cookie(";;; ;jy_session=abc", "jy_session", "abc");
    expect_cookie("jy_session=a=b==", "jy_session", "a=b==");
    expect_cookie("jy_session=\"abc\"", "jy_session", "abc");
    expect_cookie("jy_session=\"a b\"; x=1", "jy_session", "a b");
    expect_cookie("a=1; b=2", "a", "1");
    expect_cookie("a=1; b=2", "b", "2");
    expect_cookie("__Host-jy_session=sec; jy_session=plain", "__Host-jy_session", "sec");
    expect_cookie("__Host-jy_session=sec; jy_session=plain", "jy_session", "plain");
    /* the first cookie of that name wins */
    expect_cookie("jy_session=first; jy_session=second", "jy_session", "first");
}

static void
test_cookie_absent_or_empty(void **state)
{
    (void)state;
    expect_cookie(NULL, "jy_session", NULL);
    expect_cookie("", "jy_session", NULL);
    expect_cookie("   ", "jy_session", NULL);
    expect_cookie(";;;", "jy_session", NULL);
    expect_cookie("; ; =; =x", "jy_session", NULL);
    expect_cookie("jy_session=abc", "", NULL);
    expect_cookie("=abc", "", NULL);
    expect_cookie("jy_session=", "jy_session", NULL);
    expect_cookie("jy_session=  ", "jy_session", NULL);
    expect_cookie("jy_session=\"\"", "jy_session", NULL);
    expect_cookie("jy_session=; b=2", "jy_session", NULL);
    expect_cookie("a=1; b=2", "jy_session", NULL);
    /* a cookie without '=' is skipped, not read as a name with an empty value */
    expect_cookie("jy_session", "jy_session", NULL);
    expect_cookie("jy_session; jy_session=abc", "jy_session", "abc");
    expect_cookie("foo; bar; jy_session=abc", "jy_session", "abc");
    expect_cookie("foo; bar", "foo", NULL);
}

static void
test_cookie_similar_names(void **state)
{
    (void)state;
    expect_cookie("x_jy_session=evil", "jy_session", NULL);
    expect_cookie("x_jy_session=evil; jy_session=good", "jy_session", "good");
    expect_cookie("jy_session_x=evil", "jy_session", NULL);
    expect_cookie("jy_session_x=evil; jy_session=good", "jy_session", "good");
    expect_cookie("jy_sessio=evil", "jy_session", NULL);
    expect_cookie("jy_sessionn=evil; jy_session=good", "jy_session", "good");
    expect_cookie("JY_SESSION=evil", "jy_session", NULL);
    expect_cookie("Jy_session=evil; jy_session=good", "jy_session", "good");
    expect_cookie("__Host-jy_session=sec", "jy_session", NULL);
    expect_cookie("jy_session=plain", "__Host-jy_session", NULL);
    expect_cookie("__host-jy_session=x", "__Host-jy_session", NULL);
    /* the name inside another cookie's value is not a cookie */
    expect_cookie("a=jy_session=evil", "jy_session", NULL);
    expect_cookie("a=jy_session=evil; jy_session=good", "jy_session", "good");
    expect_cookie("a=b jy_session=evil", "jy_session", NULL);
}

static void
test_cookie_long(void **state)
{
    (void)state;
    struct buf h = BUF_INIT;
    for (int i = 0; i < 5000; i++)
        buf_printf(&h, "c%d=%0*d; ", i, 20, i);
    buf_adds(&h, "jy_session=found");
    expect_cookie(h.data, "jy_session", "found");
    expect_cookie(h.data, "c4999", "00000000000000004999");
    expect_cookie(h.data, "c5000", NULL);

    /* one very long value */
    buf_reset(&h);
    buf_adds(&h, "a=1; jy_session=");
    for (int i = 0; i < 100000; i++)
        buf_addch(&h, 'v');
    struct str v;
    assert_true(cookie_get(h.data, "jy_session", &v));
    assert_int_equal(v.n, 100000);
    /* one very long name, and no '=' at all */
    buf_reset(&h);
    for (int i = 0; i < 100000; i++)
        buf_addch(&h, 'n');
    assert_false(cookie_get(h.data, "jy_session", &v));
    buf_adds(&h, "=1");
    assert_false(cookie_get(h.data, "jy_session", &v));
    buf_release(&h);

    /* exact-size heap copy: no read past the terminator */
    char *p = xstrdup("a=1; jy_session=xyz");
    assert_true(cookie_get(p, "jy_session", &v));
    assert_true(str_eq_cstr(v, "xyz"));
    xfree(p);
    p = xstrdup("jy_session");
    assert_false(cookie_get(p, "jy_session", &v));
    xfree(p);
}

/* ---- perm --------------------------------------------------------------------------- */

static void
test_perm_parse(void **state)
{
    (void)state;
    perm_set set = 0;
    const char *bad = NULL;
    size_t bad_len = 99;

    assert_int_equal(perm_parse_scopes("users.read", &set, &bad, &bad_len), 0);
    assert_true(set == PERM_SET(PERM_BIT_USERS_READ));
    assert_int_equal(perm_parse_scopes("users.read,tokens.write", &set, &bad, &bad_len), 0);
    assert_true(set == (PERM_SET(PERM_BIT_USERS_READ) | PERM_SET(PERM_BIT_TOKENS_WRITE)));
    assert_int_equal(perm_parse_scopes("users.read,users.read", &set, &bad, &bad_len), 0);
    assert_true(set == PERM_SET(PERM_BIT_USERS_READ));
    assert_int_equal(perm_parse_scopes("pii.reveal,audit.read", &set, &bad, &bad_len), 0);
    assert_true(set == (PERM_SET(PERM_BIT_PII_REVEAL) | PERM_SET(PERM_BIT_AUDIT_READ)));

    /* every scope name, alone and all together */
    struct buf all = BUF_INIT;
    for (int i = 0; i < PERM__COUNT; i++) {
        assert_int_equal(perm_parse_scopes(perm_name((enum perm_bit)i), &set, &bad, &bad_len), 0);
        assert_true(set == PERM_SET(i));
        if (i)
            buf_addch(&all, ',');
        buf_adds(&all, perm_name((enum perm_bit)i));
    }
    assert_int_equal(perm_parse_scopes(all.data, &set, &bad, &bad_len), 0);
    assert_true(set == PERM_SET(PERM__COUNT) - 1);
    buf_release(&all);
}

struct bad_scope {
    const char *in;
    size_t off, len; /* where *bad points and how long */
};

static void
test_perm_parse_bad(void **state)
{
    (void)state;
    static const struct bad_scope cases[] = {
        { "", 0, 0 },
        { "bogus", 0, 5 },
        { "users.read,bogus", 11, 5 },
        { "bogus,users.read", 0, 5 },
        { "users.read,bogus,tokens.read", 11, 5 },
        { "users", 0, 5 },
        { "users.readx", 0, 11 },
        { "users.rea", 0, 9 },
        { "Users.Read", 0, 10 },
        { "USERS.READ", 0, 10 },
        { " users.read", 0, 11 },
        { "users.read ", 0, 11 },
        { "users.read, tokens.read", 11, 12 },
        { "users.read;tokens.read", 0, 22 },
        { ",users.read", 0, 0 },
        { "users.read,,tokens.read", 11, 0 },
        { "*", 0, 1 },
        { "users.*", 0, 7 },
        { "public", 0, 6 },
        { "login", 0, 5 },
        { "users.read\ntokens.read", 0, 22 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        perm_set set = 77;
        const char *bad = NULL;
        size_t bad_len = 99;
        int rc = perm_parse_scopes(cases[i].in, &set, &bad, &bad_len);
        if (rc != ERR_INVALID)
            fail_msg("\"%s\" gave %d", cases[i].in, rc);
        if (bad != cases[i].in + cases[i].off || bad_len != cases[i].len)
            fail_msg("\"%s\": bad at %td len %zu, want %zu len %zu", cases[i].in,
                     bad ? bad - cases[i].in : -1, bad_len, cases[i].off, cases[i].len);
    }
}

static void
test_perm_format(void **state)
{
    (void)state;
    struct buf b = BUF_INIT;
    perm_format(0, &b);
    assert_string_equal(b.data, "");
    perm_format(PERM_SET(PERM_BIT_AUDIT_READ), &b);
    assert_string_equal(b.data, "audit.read");
    buf_reset(&b);
    perm_format(PERM_SET(PERM_BIT_TOKENS_WRITE) | PERM_SET(PERM_BIT_USERS_READ), &b);
    assert_string_equal(b.data, "users.read,tokens.write"); /* table order */
    /* appends */
    buf_reset(&b);
    buf_adds(&b, "scopes=");
    perm_format(PERM_SET(PERM_BIT_PII_REVEAL), &b);
    assert_string_equal(b.data, "scopes=pii.reveal");
    /* bits beyond the table are not printed */
    buf_reset(&b);
    perm_format(PERM_SET(PERM__COUNT) | PERM_SET(63) | PERM_SET(PERM_BIT_USERS_READ), &b);
    assert_string_equal(b.data, "users.read");

    /* sets format and parse back to themselves: every single bit and pair, and a fixed
     * pseudo-random sample of larger sets (all 2^N sets is too many once N grows) */
    perm_set all = PERM_SET(PERM__COUNT) - 1, sets[PERM__COUNT * PERM__COUNT + 4096];
    size_t nsets = 0;
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (int i = 0; i < PERM__COUNT; i++)
        for (int j = i; j < PERM__COUNT; j++)
            sets[nsets++] = PERM_SET(i) | PERM_SET(j);
    for (int k = 0; k < 4096; k++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        sets[nsets++] = (x & all) ? (x & all) : 1;
    }
    for (size_t k = 0; k < nsets; k++) {
        perm_set set = sets[k];
        perm_set back = 0;
        const char *bad = NULL;
        size_t bad_len = 0;
        buf_reset(&b);
        perm_format(set, &b);
        assert_int_equal(perm_parse_scopes(b.data, &back, &bad, &bad_len), 0);
        assert_true(back == set);
    }
    buf_release(&b);

    assert_string_equal(perm_name(PERM_BIT_USERS_READ), "users.read");
    assert_string_equal(perm_name(PERM__COUNT), "");
    assert_string_equal(perm_name((enum perm_bit)-1), "");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_route_match),
        cmocka_unit_test(test_route_params),
        cmocka_unit_test(test_route_not_found),
        cmocka_unit_test(test_route_trailing_slash),
        cmocka_unit_test(test_route_method),
        cmocka_unit_test(test_route_head),
        cmocka_unit_test(test_cookie_shapes),
        cmocka_unit_test(test_cookie_absent_or_empty),
        cmocka_unit_test(test_cookie_similar_names),
        cmocka_unit_test(test_cookie_long),
        cmocka_unit_test(test_perm_parse),
        cmocka_unit_test(test_perm_parse_bad),
        cmocka_unit_test(test_perm_format),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
