/* tests/e2e/e2e_hostile.c - hostile input over a real socket (style: Tests; S3, S4):
 * oversized bodies (Content-Length and chunked), duplicate keys, wrong content types,
 * unknown keys, 404/405 envelopes, SQL metacharacters, CR/LF, NUL, long strings, huge
 * numbers and wrong types in every field of every JSON route; keep-alive; security
 * headers; no internal detail in errors; health, readiness and metrics. On SQLite and
 * PostgreSQL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "core/alloc.h"
#include "core/str.h"
#include "server.h"

static int
prepare(struct server *srv)
{
    static const struct {
        const char *name, *role;
    } users[] = {
        { "alice", "district" }, { "sally", "sysadmin" },   { "secky", "secadmin" },
        { "vic", "viewer" },     { "fuzzvictim", "viewer" }, { "fuzzpw", "district" },
    };
    for (size_t i = 0; i < sizeof users / sizeof *users; i++)
        if (server_add_user(srv, users[i].name, users[i].role, NULL, SERVER_PASSWORD, false, NULL))
            return -1;
    return 0;
}

static struct client sally, secky;
static char enrolled_on[256];

static void
admins(struct server *srv)
{
    if (strcmp(enrolled_on, srv->dir) == 0)
        return;
    if (enrolled_on[0]) {
        client_release(&sally);
        client_release(&secky);
    }
    client_init(&sally, srv);
    client_init(&secky, srv);
    snprintf(enrolled_on, sizeof enrolled_on, "%s", srv->dir);
    assert_int_equal(server_enrol(srv, &sally, "sally", NULL, 0), 0);
    assert_int_equal(server_enrol(srv, &secky, "secky", NULL, 0), 0);
}

static void
assert_healthy(struct server *srv)
{
    struct client c;
    struct resp r = RESP_INIT;
    client_init(&c, srv);
    client_call(&c, "GET", "/healthz", NULL, &r);
    assert_resp(&r, 200, NULL);
    resp_release(&r);
    client_release(&c);
}

static char *
repeat(char ch, size_t n)
{
    char *s = xmalloc(n + 1);
    memset(s, ch, n);
    s[n] = '\0';
    return s;
}

/* Big bodies live in static storage, so a failing assertion (which skips the test's
 * frees) does not leave LeakSanitizer megabytes to report. */
static char body_5k[5000], body_10m[10u << 20];

static void
fill_bodies(void)
{
    memset(body_5k, 'a', sizeof body_5k);
    memset(body_10m, 'b', sizeof body_10m);
}

static void
test_oversized_bodies(void **state)
{
    struct server *srv = *state;
    struct client c;
    struct resp r = RESP_INIT;
    char *small = body_5k, *big = body_10m;

    fill_bodies();
    client_init(&c, srv);
    /* the login route takes at most 4096 bytes */
    client_send(&c, "POST", "/api/v1/auth/login", small, 5000, NULL, 0, &r);
    assert_resp(&r, 413, "too_large");
    assert_healthy(srv);
    client_send(&c, "POST", "/api/v1/auth/login", big, 10u << 20, NULL, 0, &r);
    assert_resp(&r, 413, "too_large");
    assert_healthy(srv);
    /* a body on a route that takes none */
    client_send(&c, "GET", "/api/v1/auth/me", "x", 1, NULL, 0, &r);
    assert_resp(&r, 413, "too_large");
    /* a chunked body within the cap is read (and then judged on its content) */
    {
        static const char ok[] = "{\"username\":\"alice\",\"password\":\"nope\"}";
        client_send(&c, "POST", "/api/v1/auth/login", ok, strlen(ok), NULL, CLIENT_CHUNKED, &r);
    }
    assert_resp(&r, 401, "login_failed");
    resp_release(&r);
    client_release(&c);
}

/* Without Content-Length (chunked) the cap must hold too: 413, not a dropped connection. */
static void
test_oversized_chunked(void **state)
{
    struct server *srv = *state;
    struct client c;
    struct resp r = RESP_INIT;
    char *small = body_5k, *big = body_10m;

    fill_bodies();
    client_init(&c, srv);
    /* 10 MB chunked: refused one way or another, never accepted, never a 5xx */
    client_send(&c, "POST", "/api/v1/auth/login", big, 10u << 20, NULL, CLIENT_CHUNKED, &r);
    assert_true(r.status == 0 || r.status == 413);
    assert_healthy(srv);
    /* just over the cap: a 413 answer */
    client_send(&c, "POST", "/api/v1/auth/login", small, 5000, NULL, CLIENT_CHUNKED, &r);
    if (r.status != 413)
        print_error("chunked 5000-byte body: status %ld, curl error %d (%s)\n", r.status, r.curl_rc,
                    curl_easy_strerror((CURLcode)r.curl_rc));
    assert_healthy(srv);
    assert_resp(&r, 413, "too_large");
    resp_release(&r);
    client_release(&c);
}

static void
test_malformed_json_and_types(void **state)
{
    struct server *srv = *state;
    struct client c;
    struct resp r = RESP_INIT;
    static const struct {
        const char *body;
        long status;
        const char *code;
    } cases[] = {
        { "{\"username\":\"a\",\"username\":\"b\",\"password\":\"x\"}", 400, "bad_json" },
        { "{\"username\":\"alice\",\"password\":\"x\",\"password\":\"y\"}", 400, "bad_json" },
        { "{\"username\":\"alice\",\"password\":\"x\",\"extra\":1}", 400, "invalid" },
        { "{\"username\":\"alice\",\"password\":\"x\",\"Username\":\"x\"}", 400, "invalid" },
        { "{\"username\":\"alice\"}", 400, "invalid" },
        { "[\"alice\",\"x\"]", 400, "bad_json" },
        { "\"alice\"", 400, "bad_json" },
        { "42", 400, "bad_json" },
        { "null", 400, "bad_json" },
        { "{\"username\":\"alice\",", 400, "bad_json" },
        { "{\"username\":\"alice\",\"password\":\"x\"} trailing", 400, "bad_json" },
        { "{'username':'alice'}", 400, "bad_json" },
        { "{\"username\":\"al\\u0000ice\",\"password\":\"x\"}", 400, "bad_json" },
        { "{\"username\":\"\xff\xfe\",\"password\":\"x\"}", 400, "bad_json" },
        { "{\"username\":\"alice\",\"password\":\"x\",\"totp\":123456}", 400, "invalid" },
        { "{\"username\":1e400,\"password\":\"x\"}", 400, "bad_json" },
        { "{\"username\":123456789012345678901234567890,\"password\":\"x\"}", 400, "bad_json" },
        { "", 400, "invalid" }, /* an empty body is {} and misses both fields */
    };
    client_init(&c, srv);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        client_send(&c, "POST", "/api/v1/auth/login", cases[i].body, strlen(cases[i].body), NULL, 0, &r);
        if (r.status != cases[i].status)
            print_error("case %zu: %s\n", i, cases[i].body);
        assert_resp(&r, cases[i].status, cases[i].code);
    }
    /* content types */
    static const char body[] = "{\"username\":\"alice\",\"password\":\"nope\"}";
    static const struct {
        const char *header;
        long status;
    } types[] = {
        { "Content-Type: text/plain", 415 },
        { "Content-Type: application/x-www-form-urlencoded", 415 },
        { "Content-Type: multipart/form-data; boundary=x", 415 },
        { "Content-Type: application/jsonx", 415 },
        { "Content-Type: application/json-patch+json", 415 },
        { "Content-Type: text/json", 415 },
        { "Content-Type: application/json; charset=utf-8", 401 },
        { "Content-Type: APPLICATION/JSON", 401 },
    };
    for (size_t i = 0; i < sizeof types / sizeof *types; i++) {
        const char *h[] = { types[i].header, NULL };
        client_send(&c, "POST", "/api/v1/auth/login", body, strlen(body), h, 0, &r);
        assert_resp(&r, types[i].status, types[i].status == 415 ? "unsupported_media_type" : NULL);
    }
    client_send(&c, "POST", "/api/v1/auth/login", body, strlen(body), NULL, CLIENT_NO_TYPE, &r);
    assert_resp(&r, 415, "unsupported_media_type");
    resp_release(&r);
    client_release(&c);
}

static void
check_envelope(const struct resp *r)
{
    char rid[64], type[128];
    assert_non_null(resp_header(r, "Content-Type", 0, type, sizeof type));
    assert_true(strncmp(type, "application/json", 16) == 0);
    assert_non_null(resp_str(r, "error.code"));
    assert_non_null(resp_str(r, "error.message"));
    assert_non_null(resp_str(r, "error.request_id"));
    assert_non_null(resp_header(r, "X-Request-Id", 0, rid, sizeof rid));
    assert_string_equal(rid, resp_str(r, "error.request_id"));
}

static void
test_404_405(void **state)
{
    struct server *srv = *state;
    struct client c;
    struct resp r = RESP_INIT;
    char allow[64];
    static const char *const missing[] = { "/api/v1/nope", "/api/v1", "/api", "/api/v2/users",
                                           "/api/v1/users/1/2", "/api/v1/auth/login/", NULL };
    static const struct {
        const char *method, *path, *allow;
    } wrong[] = {
        { "DELETE", "/api/v1/auth/login", "POST" },
        { "GET", "/api/v1/auth/login", "POST" },
        { "PUT", "/api/v1/users", "GET, POST" },
        { "POST", "/healthz", "GET" },
        { "GET", "/api/v1/users/1/reset-password", "POST" },
        { "POST", "/api/v1/users/7", "GET, PATCH" },
        { "PATCH", "/api/v1/tokens/1", "DELETE" },
        { "OPTIONS", "/api/v1/users", "GET, POST" },
    };

    client_init(&c, srv);
    for (size_t i = 0; missing[i]; i++) {
        client_call(&c, "GET", missing[i], NULL, &r);
        assert_resp(&r, 404, "not_found");
        check_envelope(&r);
    }
    for (size_t i = 0; i < sizeof wrong / sizeof *wrong; i++) {
        client_call(&c, wrong[i].method, wrong[i].path, NULL, &r);
        assert_resp(&r, 405, "method_not_allowed");
        check_envelope(&r);
        assert_non_null(resp_header(&r, "Allow", 0, allow, sizeof allow));
        assert_string_equal(allow, wrong[i].allow);
    }
    /* HEAD is GET without a body */
    client_call(&c, "HEAD", "/healthz", NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_int_equal(r.body.len, 0);
    /* the UI paths: not an API path, only GET/HEAD */
    client_call(&c, "POST", "/index.html", "{}", &r);
    assert_true(r.status == 404 || r.status == 405);
    check_envelope(&r);
    resp_release(&r);
    client_release(&c);
}

/* --- every field of every JSON route --------------------------------------------- */

struct fuzz_value {
    const char *label;
    const char *raw;  /* JSON text, or NULL: use str */
    const char *str;  /* a string value (may hold a NUL: len) */
    size_t len;
};

#define FZS(label, s) { label, NULL, s, sizeof(s) - 1 }
#define FZR(label, raw) { label, raw, NULL, 0 }

static const struct fuzz_value fuzz_values[] = {
    FZS("sql-or", "' OR 1=1 --"),
    FZS("sql-drop", "\"; DROP TABLE users; --"),
    FZS("sql-bobby", "Robert'); DROP TABLE audit_log;--"),
    FZS("crlf", "a\r\nSet-Cookie: evil=1"),
    FZS("lf", "line\nbreak"),
    FZS("tab", "\t"),
    FZS("nul", "nul\0inside"),
    FZS("format", "%s%s%n%x%p"),
    FZS("path", "../../../etc/passwd"),
    FZS("html", "<script>alert(1)</script>"),
    FZS("cjk", "张三丰😀"),
    FZS("id", "11010219900307123X"),
    FZS("empty", ""),
    FZS("space", " "),
    FZS("bidi", "\xe2\x80\xae" "abc"),
    { "long3000", NULL, NULL, 3000 },
    { "long5000", NULL, NULL, 5000 },
    FZR("zero", "0"),
    FZR("minus", "-1"),
    FZR("real", "1.5"),
    FZR("dbl-max", "1.7976931348623157e308"),
    FZR("i64-max", "9223372036854775807"),
    FZR("i64-min", "-9223372036854775808"),
    FZR("bigint", "123456789012345678901234567890"),
    FZR("inf", "1e400"),
    FZR("true", "true"),
    FZR("false", "false"),
    FZR("null", "null"),
    FZR("array", "[]"),
    FZR("object", "{}"),
    FZR("array-str", "[\"x\"]"),
    FZR("mongo", "{\"$ne\":null}"),
};

/* fuzz_raw returns the JSON text of v (xmalloc'd). */
static char *
fuzz_raw(const struct fuzz_value *v)
{
    json_t *s;
    char *text, *tmp = NULL;
    if (v->raw)
        return xstrdup(v->raw);
    if (!v->str)
        tmp = repeat(v->len == 3000 ? 'A' : 'B', v->len);
    s = json_stringn(tmp ? tmp : v->str, v->len);
    text = json_dumps(s, JSON_ENCODE_ANY);
    json_decref(s);
    xfree(tmp);
    return text;
}

/* fuzz_body is template with field's value replaced by the raw JSON text. */
static char *
fuzz_body(const json_t *tmpl, const char *field, const char *raw)
{
    json_t *o = json_deep_copy(tmpl);
    struct buf b = BUF_INIT;
    char *text, *hole;
    json_object_set_new(o, field, json_string("@@FUZZ@@"));
    text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    hole = strstr(text, "\"@@FUZZ@@\"");
    buf_add(&b, text, (size_t)(hole - text));
    buf_adds(&b, raw);
    buf_adds(&b, hole + 10);
    xfree(text);
    return buf_detach(&b, NULL);
}

struct fuzz_route {
    const char *name, *method, *path, *tmpl;
    const char *const *fields;
    struct client *who;
    /* may a 2xx be right for this field and value? */
    bool (*ok2xx)(const char *field, const struct fuzz_value *v);
    bool unique_username; /* rewrite "username" per request (users create) */
};

static bool
is_string(const struct fuzz_value *v)
{
    return v->raw == NULL;
}

/* a string api_text accepts: no control characters, valid UTF-8, at most max bytes */
static bool
plain_text(const struct fuzz_value *v, size_t max)
{
    size_t n = v->len;
    if (!is_string(v) || n == 0 || n > max || !v->str)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)v->str[i] < 0x20 || v->str[i] == 0x7f)
            return false;
    return true;
}

static bool
never(const char *field, const struct fuzz_value *v)
{
    (void)field;
    (void)v;
    return false;
}

static bool
users_create_ok(const char *field, const struct fuzz_value *v)
{
    /* a hostile-looking password may well meet the policy; an ID-like string is a valid
     * user name ([a-z0-9_.-], 3-32) */
    if (strcmp(field, "password") == 0)
        return plain_text(v, 128);
    if (strcmp(field, "username") == 0)
        return is_string(v) && strcmp(v->label, "id") == 0;
    if (strcmp(field, "subdistrict") == 0) /* "" means none */
        return strcmp(v->label, "empty") == 0;
    return false;
}

static bool
users_patch_ok(const char *field, const struct fuzz_value *v)
{
    if (strcmp(field, "subdistrict") == 0)
        return strcmp(v->label, "null") == 0 || strcmp(v->label, "empty") == 0;
    if (strcmp(field, "locked") == 0 || strcmp(field, "disabled") == 0)
        return strcmp(v->label, "true") == 0 || strcmp(v->label, "false") == 0;
    return false;
}

static bool
tokens_ok(const char *field, const struct fuzz_value *v)
{
    if (strcmp(field, "name") == 0)
        return plain_text(v, 100);
    if (strcmp(field, "subdistrict") == 0)
        return strcmp(v->label, "empty") == 0;
    return false;
}

static bool
policy_ok(const char *field, const struct fuzz_value *v)
{
    if (strcmp(field, "totp_for_all") == 0)
        return strcmp(v->label, "true") == 0 || strcmp(v->label, "false") == 0;
    if (strcmp(field, "password_max_age_ms") == 0)
        return strcmp(v->label, "zero") == 0;
    return false;
}

static void
test_hostile_values_everywhere(void **state)
{
    struct server *srv = *state;
    struct client anon, pw;
    struct resp r = RESP_INIT;
    struct buf path_patch = BUF_INIT, report = BUF_INIT;
    char *policy;
    size_t sent = 0, bad = 0;
    unsigned counter = 0;

    admins(srv);
    client_init(&anon, srv);
    client_init(&pw, srv);
    assert_int_equal(client_login(&pw, "fuzzpw", SERVER_PASSWORD, NULL, &r), 200);
    client_call(&pw, "POST", "/api/v1/auth/totp/setup", "{}", &r);
    assert_resp(&r, 200, NULL);
    client_call(&sally, "GET", "/api/v1/users?limit=500", NULL, &r);
    assert_resp(&r, 200, NULL);
    int64_t users_before = resp_int(&r, "total"), vic = 0;
    for (size_t i = 0; i < json_array_size(resp_get(&r, "items")); i++) {
        json_t *u = json_array_get(resp_get(&r, "items"), i);
        if (strcmp(json_string_value(json_object_get(u, "username")), "vic") == 0)
            vic = json_integer_value(json_object_get(u, "id"));
    }
    assert_true(vic > 0);
    buf_printf(&path_patch, "/api/v1/users/%lld", (long long)vic);
    client_call(&secky, "GET", "/api/v1/settings/policy", NULL, &r);
    assert_resp(&r, 200, NULL);
    policy = json_dumps(r.json, JSON_COMPACT);

    static const char *const f_login[] = { "username", "password", "totp", NULL };
    static const char *const f_ucreate[] = { "username", "role", "password", "subdistrict", NULL };
    static const char *const f_upatch[] = { "role", "subdistrict", "locked", "disabled", NULL };
    static const char *const f_tokens[] = { "name", "scopes", "subdistrict", NULL };
    static const char *const f_password[] = { "current_password", "new_password", NULL };
    static const char *const f_totp[] = { "code", NULL };
    static const char *const f_policy[] = { "password_min_length", "password_min_classes",
                                            "password_max_age_ms", "lockout_attempts", "lockout_ms",
                                            "session_idle_ms", "session_absolute_ms", "totp_for_all",
                                            "pbkdf2_iterations", NULL };
    const struct fuzz_route routes[] = {
        { "login", "POST", "/api/v1/auth/login",
          "{\"username\":\"fuzzvictim\",\"password\":\"Wrong-Passw0rd!\",\"totp\":\"123456\"}", f_login,
          &anon, never, false },
        { "users.create", "POST", "/api/v1/users",
          "{\"username\":\"fz\",\"role\":\"viewer\",\"password\":\"Fz-Valid-Pass1\"}", f_ucreate, &sally,
          users_create_ok, true },
        { "users.patch", "PATCH", path_patch.data,
          "{\"role\":\"viewer\",\"subdistrict\":null,\"locked\":false,\"disabled\":false}", f_upatch, &sally,
          users_patch_ok, false },
        { "tokens.create", "POST", "/api/v1/tokens", "{\"name\":\"fz\",\"scopes\":\"divisions.read\"}", f_tokens,
          &sally, tokens_ok, false },
        { "password", "POST", "/api/v1/auth/password",
          "{\"current_password\":\"Not-The-Passw0rd\",\"new_password\":\"Fz-Valid-Pass1\"}", f_password, &pw,
          never, false },
        { "totp.enable", "POST", "/api/v1/auth/totp/enable", "{\"code\":\"000000\"}", f_totp, &pw, never,
          false },
        { "policy", "PUT", "/api/v1/settings/policy", policy, f_policy, &secky, policy_ok, false },
    };

    for (size_t ri = 0; ri < sizeof routes / sizeof *routes; ri++) {
        const struct fuzz_route *rt = &routes[ri];
        json_error_t je;
        json_t *tmpl = json_loads(rt->tmpl, 0, &je);
        assert_non_null(tmpl);
        for (size_t fi = 0; rt->fields[fi]; fi++) {
            for (size_t vi = 0; vi < sizeof fuzz_values / sizeof *fuzz_values; vi++) {
                const struct fuzz_value *v = &fuzz_values[vi];
                char *raw = fuzz_raw(v), *body;
                bool may2xx = rt->ok2xx(rt->fields[fi], v), fine;
                if (rt->unique_username && strcmp(rt->fields[fi], "username") != 0) {
                    char name[32];
                    snprintf(name, sizeof name, "fz%u", counter++);
                    json_object_set_new(tmpl, "username", json_string(name));
                }
                body = fuzz_body(tmpl, rt->fields[fi], raw);
                client_call(rt->who, rt->method, rt->path, body, &r);
                sent++;
                fine = (r.status >= 400 && r.status < 500) || (may2xx && r.status >= 200 && r.status < 300);
                if (!fine) {
                    bad++;
                    buf_printf(&report, "  %s %s = %s: status %ld (curl %d) %.200s\n", rt->name,
                               rt->fields[fi], v->label, r.status, r.curl_rc, r.body.data);
                }
                xfree(body);
                xfree(raw);
            }
        }
        json_decref(tmpl);
    }
    /* put the policy back as it was */
    client_call(&secky, "PUT", "/api/v1/settings/policy", policy, &r);
    assert_resp(&r, 200, NULL);
    if (bad)
        print_error("%zu of %zu hostile requests were not answered with a 4xx:\n%s", bad, sent, report.data);
    assert_int_equal(bad, 0);

    /* the server is well, the tables are there, values were stored verbatim */
    assert_healthy(srv);
    assert_int_equal(client_login(&anon, "alice", SERVER_PASSWORD, NULL, &r), 200);
    client_call(&sally, "GET", "/api/v1/users?limit=500", NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_true(resp_int(&r, "total") > users_before);
    client_call(&sally, "GET", "/api/v1/tokens", NULL, &r);
    assert_resp(&r, 200, NULL);
    {
        bool or_seen = false, drop_seen = false;
        json_t *items = resp_get(&r, "items");
        for (size_t i = 0; i < json_array_size(items); i++) {
            const char *n = json_string_value(json_object_get(json_array_get(items, i), "name"));
            or_seen |= strcmp(n, "' OR 1=1 --") == 0;
            drop_seen |= strcmp(n, "\"; DROP TABLE users; --") == 0;
        }
        assert_true(or_seen && drop_seen);
    }
    client_call(&pw, "GET", "/api/v1/auth/me", NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_false(json_is_true(resp_get(&r, "user.totp_enabled")));

    xfree(policy);
    buf_release(&path_patch);
    buf_release(&report);
    resp_release(&r);
    client_release(&anon);
    client_release(&pw);
}

/* PUT /api/v1/settings/policy must range-check what it unpacks: 2^32 + 10 is not 10. */
static void
test_policy_numbers_not_truncated(void **state)
{
    struct server *srv = *state;
    struct resp r = RESP_INIT, before = RESP_INIT;
    char *orig;
    static const char *const fields[] = { "password_min_length", "password_min_classes",
                                          "lockout_attempts", NULL };

    admins(srv);
    client_call(&secky, "GET", "/api/v1/settings/policy", NULL, &before);
    assert_resp(&before, 200, NULL);
    orig = json_dumps(before.json, JSON_COMPACT);
    for (size_t i = 0; fields[i]; i++) {
        json_t *p = json_deep_copy(before.json);
        char *body, *text;
        struct buf b = BUF_INIT;
        json_object_set_new(p, fields[i], json_string("@@N@@"));
        text = json_dumps(p, JSON_COMPACT);
        char *hole = strstr(text, "\"@@N@@\"");
        buf_add(&b, text, (size_t)(hole - text));
        buf_adds(&b, "4294967306"); /* 2^32 + 10: an int cast makes it 10 */
        buf_adds(&b, hole + 7);
        body = buf_detach(&b, NULL);
        client_call(&secky, "PUT", "/api/v1/settings/policy", body, &r);
        if (r.status != 400)
            print_error("%s = 4294967306 gave %ld: %.300s\n", fields[i], r.status, r.body.data);
        /* put it back before asserting, so later tests see the defaults */
        client_call(&secky, "PUT", "/api/v1/settings/policy", orig, &before);
        xfree(body);
        xfree(text);
        json_decref(p);
        assert_resp(&r, 400, "invalid");
    }
    xfree(orig);
    resp_release(&r);
    resp_release(&before);
}

static void
test_hostile_headers_and_paths(void **state)
{
    struct server *srv = *state;
    struct client c;
    struct resp r = RESP_INIT;
    char *long_cookie = repeat('c', 4000), *huge = repeat('h', 100000), *long_path = repeat('p', 6000);
    struct buf line = BUF_INIT;

    admins(srv);
    client_init(&c, srv);
    /* cookies and bearer tokens that are not ours: 401, never 5xx */
    static const char *const cookies[] = {
        "Cookie: __Host-jy_session=' OR 1=1 --", "Cookie: __Host-jy_session=",
        "Cookie: __Host-jy_session=\"\"", "Cookie: jy_session=x; __Host-jy_session=y; a=b",
        "Cookie: ;;;;;=;=;", "Cookie: __Host-jy_session=%00%0d%0a",
        "Authorization: Bearer", "Authorization: Bearer ' OR 1=1 --",
        "Authorization: Basic YWxpY2U6eA==", "Authorization: Bearer jy_\"; DROP TABLE api_tokens; --",
        NULL,
    };
    for (size_t i = 0; cookies[i]; i++) {
        const char *h[] = { cookies[i], NULL };
        client_send(&c, "GET", "/api/v1/auth/me", NULL, 0, h, 0, &r);
        assert_resp(&r, 401, "unauthenticated");
    }
    buf_printf(&line, "Cookie: __Host-jy_session=%s", long_cookie);
    {
        const char *h[] = { line.data, NULL };
        client_send(&c, "GET", "/api/v1/auth/me", NULL, 0, h, 0, &r);
        assert_resp(&r, 401, "unauthenticated");
    }
    /* a header beyond the server's memory limit: refused, and the server lives on */
    buf_reset(&line);
    buf_printf(&line, "X-Huge: %s", huge);
    {
        const char *h[] = { line.data, NULL };
        client_send(&c, "GET", "/healthz", NULL, 0, h, 0, &r);
        assert_true(r.status == 0 || (r.status >= 400 && r.status < 500));
    }
    assert_healthy(srv);

    /* hostile paths and queries */
    static const struct {
        const char *path;
        long status;
    } paths[] = {
        { "/api/v1/users/%27%20OR%201=1%20--", 404 },
        { "/api/v1/users/1%20OR%201=1", 404 },
        { "/api/v1/users/-1", 404 },
        { "/api/v1/users/0", 404 },
        { "/api/v1/users/99999999999999999999999", 404 },
        { "/api/v1/users/0x10", 404 },
        { "/api/v1/users?limit=1%27", 400 },
        { "/api/v1/users?limit=99999999999999999999", 400 },
        { "/api/v1/users?next=%27%20OR%201=1", 400 },
        { "/api/v1/divisions?level=1%20OR%201=1", 400 },
        { "/api/v1/divisions?parent=%27%20OR%20%271%27=%271", 200 }, /* bound: no rows */
        { "/api/v1/divisions?parent=a%0d%0ab", 400 },
        { "/api/v1/divisions?parent=110102", 200 },
        { "/api/v1/divisions?level=2&level=3", 200 },
    };
    for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
        client_call(&sally, "GET", paths[i].path, NULL, &r);
        if (paths[i].status == 4 ? r.status / 100 != 4 : r.status != paths[i].status)
            print_error("path %s: status %ld\n", paths[i].path, r.status);
        if (paths[i].status == 4)
            assert_int_equal(r.status / 100, 4);
        else
            assert_resp(&r, paths[i].status, NULL);
        if (strstr(paths[i].path, "%27") && r.status == 200)
            assert_int_equal(json_array_size(resp_get(&r, "items")), 0);
    }
    /* path traversal never reaches the file system */
    static const char *const trav[] = { "/../../../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd",
                                        "/assets/../../../etc/passwd", "/..%2f..%2fetc%2fpasswd", NULL };
    for (size_t i = 0; trav[i]; i++) {
        client_send(&c, "GET", trav[i], NULL, 0, NULL, CLIENT_PATH_AS_IS, &r);
        assert_true(r.status == 200 || r.status == 400 || r.status == 404);
        assert_null(strstr(r.body.data, "root:"));
    }
    buf_reset(&line);
    buf_printf(&line, "/api/v1/%s", long_path);
    client_call(&c, "GET", line.data, NULL, &r);
    assert_true(r.status >= 400 && r.status < 500);
    assert_healthy(srv);

    xfree(long_cookie);
    xfree(huge);
    xfree(long_path);
    buf_release(&line);
    resp_release(&r);
    client_release(&c);
}

/* A NUL in the request target (%00) must not cut it short: "/api/v1/users/1%00" is not
 * user 1, "/api/v1/users/1%00/reset-password" is not GET /api/v1/users/1, "limit=1%00x"
 * is not "limit=1". Such a request is refused with a 4xx. */
static void
test_nul_in_path(void **state)
{
    struct server *srv = *state;
    struct resp r = RESP_INIT;
    static const char *const paths[] = { "/api/v1/users/1%00", "/api/v1/users/1%00/reset-password",
                                         "/api/v1/users%00", "/healthz%00.html",
                                         "/api/v1/users?next=%00", "/api/v1/users?limit=1%00x",
                                         "/api/v1/divisions?parent=110102%00junk", NULL };
    bool bad = false;
    admins(srv);
    for (size_t i = 0; paths[i]; i++) {
        client_call(&sally, "GET", paths[i], NULL, &r);
        if (r.status / 100 != 4) {
            print_error("GET %s: status %ld, want a 4xx: %.120s\n", paths[i], r.status, r.body.data);
            bad = true;
        }
    }
    resp_release(&r);
    assert_false(bad);
}

static void
test_keep_alive(void **state)
{
    struct server *srv = *state;
    struct client c;
    struct resp r = RESP_INIT;
    char v[64];
    static const struct {
        const char *method, *path, *body;
        long status;
    } steps[] = {
        { "GET", "/healthz", NULL, 200 },
        { "POST", "/api/v1/auth/login", "{\"username\":\"alice\",\"password\":\"" SERVER_PASSWORD "\"}", 200 },
        { "GET", "/api/v1/auth/me", NULL, 200 },
        { "POST", "/api/v1/auth/login", "{\"username\":\"alice\",", 400 },
        { "GET", "/api/v1/nope", NULL, 404 },
        { "DELETE", "/api/v1/auth/me", NULL, 405 },
        { "GET", "/api/v1/users", NULL, 403 },
        { "GET", "/api/v1/divisions?level=1", NULL, 200 },
        { "POST", "/api/v1/auth/logout", "{}", 204 },
        { "GET", "/api/v1/auth/me", NULL, 401 },
        { "GET", "/readyz", NULL, 200 },
        { "GET", "/", NULL, 200 },
    };
    client_init(&c, srv);
    for (size_t i = 0; i < sizeof steps / sizeof *steps; i++) {
        client_call(&c, steps[i].method, steps[i].path, steps[i].body, &r);
        if (r.status != steps[i].status || r.connects != (i == 0 ? 1 : 0))
            print_error("step %zu: %s %s: status %ld, new connections %ld\n", i, steps[i].method,
                        steps[i].path, r.status, r.connects);
        assert_resp(&r, steps[i].status, NULL);
        assert_int_equal(r.connects, i == 0 ? 1 : 0);
        if (resp_header(&r, "Connection", 0, v, sizeof v))
            assert_true(strcasecmp(v, "close") != 0);
    }
    resp_release(&r);
    client_release(&c);
}

static void
check_security_headers(const struct resp *r, bool api)
{
    char v[1024];
    const char *script;
    assert_non_null(resp_header(r, "Content-Security-Policy", 0, v, sizeof v));
    assert_non_null(strstr(v, "default-src"));
    assert_non_null(strstr(v, "frame-ancestors 'none'"));
    assert_non_null(strstr(v, "object-src 'none'"));
    script = strstr(v, "script-src");
    assert_non_null(script);
    {
        char dir[256];
        size_t n = strcspn(script, ";");
        snprintf(dir, sizeof dir, "%.*s", (int)n, script);
        assert_null(strstr(dir, "'unsafe-inline'"));
        assert_null(strstr(dir, "'unsafe-eval'"));
        assert_null(strstr(dir, "*"));
        assert_null(strstr(dir, "data:"));
    }
    assert_non_null(resp_header(r, "X-Content-Type-Options", 0, v, sizeof v));
    assert_string_equal(v, "nosniff");
    assert_non_null(resp_header(r, "Referrer-Policy", 0, v, sizeof v));
    assert_true(strcmp(v, "no-referrer") == 0 || strcmp(v, "same-origin") == 0 ||
                strcmp(v, "strict-origin-when-cross-origin") == 0);
    assert_non_null(resp_header(r, "X-Frame-Options", 0, v, sizeof v));
    assert_string_equal(v, "DENY");
    assert_non_null(resp_header(r, "Cache-Control", 0, v, sizeof v));
    if (api)
        assert_string_equal(v, "no-store");
    assert_null(resp_header(r, "Server", 0, v, sizeof v));
    assert_null(resp_header(r, "X-Powered-By", 0, v, sizeof v));
    assert_null(resp_header(r, "Access-Control-Allow-Origin", 0, v, sizeof v));
    assert_non_null(resp_header(r, "X-Request-Id", 0, v, sizeof v));
}

static void
test_security_headers(void **state)
{
    struct server *srv = *state;
    struct client c;
    struct resp r = RESP_INIT;
    char v[256];

    client_init(&c, srv);
    static const struct {
        const char *method, *path, *body;
        long status;
        bool api;
    } cases[] = {
        { "GET", "/healthz", NULL, 200, true },
        { "GET", "/readyz", NULL, 200, true },
        { "GET", "/metrics", NULL, 200, true },
        { "GET", "/api/v1/nope", NULL, 404, true },
        { "DELETE", "/healthz", NULL, 405, true },
        { "GET", "/api/v1/users", NULL, 401, true },
        { "POST", "/api/v1/auth/login", "{\"username\":\"alice\",\"password\":\"x\"}", 401, true },
        { "POST", "/api/v1/auth/login", "{", 400, true },
        { "POST", "/api/v1/auth/login", "{\"username\":\"alice\",\"password\":\"" SERVER_PASSWORD "\"}", 200, true },
        { "GET", "/api/v1/auth/me", NULL, 200, true },
        { "POST", "/api/v1/auth/logout", NULL, 204, true },
        { "GET", "/", NULL, 200, false },
        { "GET", "/some/ui/route", NULL, 200, false },
        { "GET", "/missing.js", NULL, -1, false }, /* 200 without a UI, 404 with one */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        client_call(&c, cases[i].method, cases[i].path, cases[i].body, &r);
        if (cases[i].status < 0)
            assert_true(r.status == 200 || r.status == 404);
        else
            assert_resp(&r, cases[i].status, NULL);
        check_security_headers(&r, cases[i].api);
    }
    /* the UI page (or the no-UI notice) is HTML with the same headers */
    client_call(&c, "GET", "/", NULL, &r);
    assert_non_null(resp_header(&r, "Content-Type", 0, v, sizeof v));
    assert_true(strncmp(v, "text/html", 9) == 0);
    resp_release(&r);
    client_release(&c);
}

static void
test_health_ready_metrics(void **state)
{
    struct server *srv = *state;
    struct client c;
    struct resp r = RESP_INIT;
    char v[128];
    const char *p;
    int64_t n = 0;

    client_init(&c, srv);
    client_call(&c, "GET", "/healthz", NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_string_equal(resp_str(&r, "status"), "ok");
    client_call(&c, "GET", "/readyz", NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_string_equal(resp_str(&r, "status"), "ready");
    assert_true(json_is_true(resp_get(&r, "database")));
    assert_true(json_is_true(resp_get(&r, "keys")));
    client_call(&c, "GET", "/api/v1/nope", NULL, &r);
    client_call(&c, "GET", "/metrics", NULL, &r);
    assert_resp(&r, 200, NULL);
    assert_non_null(resp_header(&r, "Content-Type", 0, v, sizeof v));
    assert_true(strncmp(v, "text/plain", 10) == 0);
    assert_non_null(strstr(r.body.data, "# TYPE jiayuan_http_requests_total counter"));
    p = strstr(r.body.data, "jiayuan_http_requests_total{code=\"2xx\"} ");
    assert_non_null(p);
    p += strlen("jiayuan_http_requests_total{code=\"2xx\"} ");
    assert_int_equal(str_to_i64((struct str){ p, strcspn(p, "\n") }, &n, 0, INT64_MAX), 0);
    assert_true(n >= 2);
    p = strstr(r.body.data, "jiayuan_http_requests_total{code=\"4xx\"} ");
    assert_non_null(p);
    p += strlen("jiayuan_http_requests_total{code=\"4xx\"} ");
    assert_int_equal(str_to_i64((struct str){ p, strcspn(p, "\n") }, &n, 0, INT64_MAX), 0);
    assert_true(n >= 1);
    assert_non_null(strstr(r.body.data, "jiayuan_http_request_duration_seconds_bucket"));
    resp_release(&r);
    client_release(&c);
}

/* Last: everything this suite provoked was answered cleanly. */
static void
test_no_5xx_no_internals(void **state)
{
    struct server *srv = *state;
    struct buf log = BUF_INIT;
    server_assert_clean_errors(srv);
    for (size_t i = 0; i < srv->nrecs; i++)
        if (srv->recs[i].status >= 500)
            fail_msg("a %ld was answered: %.300s", srv->recs[i].status, srv->recs[i].body);
    server_log(srv, &log);
    if (strstr(log.data, "\"http.error\""))
        fail_msg("the server logged an http.error (a 5xx)");
    buf_release(&log);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_oversized_bodies),
        cmocka_unit_test(test_oversized_chunked),
        cmocka_unit_test(test_malformed_json_and_types),
        cmocka_unit_test(test_404_405),
        cmocka_unit_test(test_hostile_values_everywhere),
        cmocka_unit_test(test_policy_numbers_not_truncated),
        cmocka_unit_test(test_hostile_headers_and_paths),
        cmocka_unit_test(test_nul_in_path),
        cmocka_unit_test(test_keep_alive),
        cmocka_unit_test(test_security_headers),
        cmocka_unit_test(test_health_ready_metrics),
        cmocka_unit_test(test_no_5xx_no_internals),
    };
    int failed = server_run("e2e_hostile", tests, sizeof tests / sizeof tests[0], prepare);
    if (enrolled_on[0]) {
        client_release(&sally);
        client_release(&secky);
    }
    return failed;
}
