/* tests/e2e/e2e_privacy.c - no plaintext secrets or personal data in the database file,
 * the logs or the responses (S1, S4: "No plaintext ID number, name, phone or address
 * appears in the database file, logs or responses in the tests (a test greps for
 * them)"). There is no personal-data route yet, so this suite greps for what exists:
 * passwords, one-time passwords, TOTP secrets, session and API tokens; and for personal
 * data sent where it does not belong and rejected. Later suites call
 * server_assert_no_plaintext with real personal data. On SQLite and PostgreSQL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "server.h"

#define PAT_PW "Pv9!Needle-One"
#define PAT_PW2 "Qw8#Needle-Two"
#define NEWBIE_PW "Zx7$Needle-New"

/* Synthetic personal data: a well-formed ID number (checksum X), a name, a mobile
 * number, an address. */
#define PII_ID "11010219900307123X"
#define PII_NAME "张三"
#define PII_PHONE "13800138000"
#define PII_ADDR "北京市西城区西长安街1号"
static const char *const pii[] = { PII_ID, PII_NAME, PII_PHONE, PII_ADDR, NULL };

static int
prepare(struct server *srv)
{
    if (server_add_user(srv, "pat", "district", NULL, PAT_PW, false, NULL) ||
        server_add_user(srv, "sally", "sysadmin", NULL, SERVER_PASSWORD, false, NULL) ||
        server_add_user(srv, "vic", "viewer", NULL, SERVER_PASSWORD, false, NULL))
        return -1;
    return 0;
}

static struct client sally;
static char sally_secret[64];
static char enrolled_on[256];

/* admin logs sally in and enrols her TOTP, once per server. */
static void
admin(struct server *srv)
{
    if (strcmp(enrolled_on, srv->dir) == 0)
        return;
    if (enrolled_on[0])
        client_release(&sally);
    client_init(&sally, srv);
    snprintf(enrolled_on, sizeof enrolled_on, "%s", srv->dir);
    assert_int_equal(server_enrol(srv, &sally, "sally", sally_secret, sizeof sally_secret), 0);
}

static int
base32_raw(const char *s, uint8_t *out, size_t cap)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t n = 0;
    for (; *s; s++) {
        const char *a = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", *p = strchr(a, *s);
        if (!p || !*s)
            return -1;
        acc = (acc << 5) | (uint32_t)(p - a);
        bits += 5;
        if (bits >= 8 && n < cap) {
            out[n++] = (uint8_t)(acc >> (bits - 8));
            bits -= 8;
        }
    }
    return (int)n;
}

static void
test_secrets_never_in_plaintext(void **state)
{
    struct server *srv = *state;
    struct client pat, newbie;
    struct resp r = RESP_INIT;
    char secret[64], temp[64], temp2[64], token[128], cookie[256], path[96];
    uint8_t raw[32];
    int nraw;
    int64_t id;

    admin(srv);
    snprintf(secret, sizeof secret, "%s", sally_secret);
    client_init(&pat, srv);
    client_init(&newbie, srv);

    assert_int_equal(client_login(&pat, "pat", PAT_PW, NULL, &r), 200);
    snprintf(cookie, sizeof cookie, "%s", pat.cookie);
    client_pack(&pat, "POST", "/api/v1/auth/password", &r, "{s:s, s:s}", "current_password", PAT_PW,
                "new_password", PAT_PW2);
    assert_resp(&r, 200, NULL);
    client_pack(&pat, "POST", "/api/v1/auth/password", &r, "{s:s, s:s}", "current_password", "Wr0ng!" PAT_PW,
                "new_password", PAT_PW);
    assert_resp(&r, 401, "login_failed");
    assert_int_equal(client_login(&pat, "pat", PAT_PW, NULL, &r), 401);
    assert_int_equal(client_login(&pat, "pat", PAT_PW2, NULL, &r), 200);

    client_pack(&sally, "POST", "/api/v1/users", &r, "{s:s, s:s}", "username", "newbie", "role", "viewer");
    assert_resp(&r, 201, NULL);
    snprintf(temp, sizeof temp, "%s", resp_str(&r, "temporary_password"));
    id = resp_int(&r, "user.id");
    assert_int_equal(client_login(&newbie, "newbie", temp, NULL, &r), 200);
    client_pack(&newbie, "POST", "/api/v1/auth/password", &r, "{s:s, s:s}", "current_password", temp,
                "new_password", NEWBIE_PW);
    assert_resp(&r, 200, NULL);
    snprintf(path, sizeof path, "/api/v1/users/%lld/reset-password", (long long)id);
    client_call(&sally, "POST", path, NULL, &r);
    assert_resp(&r, 200, NULL);
    snprintf(temp2, sizeof temp2, "%s", resp_str(&r, "temporary_password"));
    assert_int_equal(client_login(&newbie, "newbie", temp2, NULL, &r), 200);

    client_pack(&sally, "POST", "/api/v1/tokens", &r, "{s:s, s:s}", "name", "feed", "scopes", "divisions.read");
    assert_resp(&r, 201, NULL);
    snprintf(token, sizeof token, "%s", resp_str(&r, "token"));

    /* chosen passwords: nowhere, ever (not even the one the client got wrong) */
    {
        const char *const needles[] = { PAT_PW, PAT_PW2, NEWBIE_PW, SERVER_PASSWORD, "Wr0ng!" PAT_PW, NULL };
        server_assert_no_plaintext(srv, needles);
    }
    /* secrets handed out once: in that one response only */
    {
        const char *const needles[] = { secret, temp, temp2, token, token + 3, cookie, NULL };
        server_assert_absent(srv, SCAN_DB | SCAN_LOG, needles);
    }
    assert_int_equal(server_count_responses(srv, temp), 1);
    assert_int_equal(server_count_responses(srv, temp2), 1);
    assert_int_equal(server_count_responses(srv, token), 1);
    assert_int_equal(server_count_responses(srv, secret), 1); /* the setup response */
    assert_int_equal(server_count_responses(srv, cookie), 0);  /* a header, never a body */
    /* the TOTP secret's bytes are not stored in the clear either (it is sealed) */
    nraw = base32_raw(secret, raw, sizeof raw);
    assert_int_equal(nraw, 20);
    assert_int_equal(server_find(srv, SCAN_DB, raw, (size_t)nraw, false), 0);
    /* sanity: the scan does find what is there */
    assert_true(server_find(srv, SCAN_DB, "newbie", 6, false) & SCAN_DB);
    assert_true(server_find(srv, SCAN_LOG, "/api/v1/auth/login", 18, false) & SCAN_LOG);
    assert_true(server_find(srv, SCAN_RESPONSES, temp, strlen(temp), false) & SCAN_RESPONSES);

    resp_release(&r);
    client_release(&pat);
    client_release(&newbie);
}

/* Personal data typed into the wrong field is refused, and neither echoed, logged nor
 * stored. */
static void
test_personal_data_in_rejected_requests(void **state)
{
    struct server *srv = *state;
    struct client pat, anon;
    struct resp r = RESP_INIT;
    char path[160];
    int64_t vic = 0;

    admin(srv);
    client_init(&pat, srv);
    client_init(&anon, srv);
    assert_int_equal(client_login(&pat, "pat", PAT_PW2, NULL, &r), 200);
    client_call(&sally, "GET", "/api/v1/users?limit=500", NULL, &r);
    assert_resp(&r, 200, NULL);
    for (size_t i = 0; i < json_array_size(resp_get(&r, "items")); i++) {
        json_t *u = json_array_get(resp_get(&r, "items"), i);
        if (strcmp(json_string_value(json_object_get(u, "username")), "vic") == 0)
            vic = json_integer_value(json_object_get(u, "id"));
    }
    assert_true(vic > 0);

    client_pack(&sally, "POST", "/api/v1/users", &r, "{s:s, s:s}", "username", PII_ID, "role", "nobody");
    assert_resp(&r, 400, "invalid");
    client_pack(&sally, "POST", "/api/v1/users", &r, "{s:s, s:s}", "username", PII_NAME, "role", "viewer");
    assert_resp(&r, 400, "invalid");
    client_pack(&sally, "POST", "/api/v1/users", &r, "{s:s, s:s}", "username", PII_ADDR, "role", "viewer");
    assert_resp(&r, 400, "invalid");
    client_pack(&sally, "POST", "/api/v1/users", &r, "{s:s, s:s, s:s}", "username", "okname1", "role",
                "viewer", "subdistrict", PII_PHONE);
    assert_resp(&r, 400, "invalid");
    client_pack(&sally, "POST", "/api/v1/users", &r, "{s:s, s:s, s:s}", "username", "okname2", "role",
                "subdistrict", "subdistrict", PII_ID);
    assert_resp(&r, 400, "invalid");
    client_pack(&sally, "POST", "/api/v1/users", &r, "{s:s, s:s, s:s}", "username", "okname3", "role",
                "viewer", "password", PII_ID);
    assert_resp(&r, 422, "weak_password");
    client_pack(&sally, "POST", "/api/v1/tokens", &r, "{s:s, s:s}", "name", PII_ID, "scopes", "nope.read");
    assert_resp(&r, 400, "invalid");
    client_pack(&sally, "POST", "/api/v1/tokens", &r, "{s:s, s:s, s:s}", "name", PII_ADDR, "scopes",
                "divisions.read", "subdistrict", PII_ID);
    assert_resp(&r, 400, "invalid");
    snprintf(path, sizeof path, "/api/v1/users/%lld", (long long)vic);
    client_pack(&sally, "PATCH", path, &r, "{s:s}", "subdistrict", PII_ID);
    assert_resp(&r, 400, "invalid");
    client_pack(&sally, "PATCH", path, &r, "{s:s}", "role", PII_NAME);
    assert_resp(&r, 400, "invalid");
    client_pack(&pat, "POST", "/api/v1/auth/password", &r, "{s:s, s:s}", "current_password", PII_ID,
                "new_password", PII_ADDR);
    assert_resp(&r, 401, "login_failed");
    client_call(&pat, "GET", "/api/v1/divisions?parent=" PII_ID, NULL, &r);
    assert_resp(&r, 400, "invalid");
    client_call(&pat, "GET", "/api/v1/users/" PII_ID, NULL, &r);
    assert_true(r.status / 100 == 4);
    client_call(&anon, "GET", "/api/v1/users/" PII_PHONE, NULL, &r);
    assert_true(r.status / 100 == 4);
    client_pack(&anon, "POST", "/api/v1/auth/totp/enable", &r, "{s:s}", "code", PII_PHONE);
    assert_resp(&r, 401, "unauthenticated");

    server_assert_no_plaintext(srv, pii);
    resp_release(&r);
    client_release(&pat);
    client_release(&anon);
}

/* Error messages name the field, never echo the value (req.h: "messages … never carry
 * personal data"): personal data pasted into a field that expects a scope list, or sent
 * as a JSON key, does not come back in the 400. */
static void
test_errors_do_not_echo_input(void **state)
{
    struct server *srv = *state;
    struct client anon;
    struct resp r = RESP_INIT;
    bool echoed = false;

    admin(srv);
    client_init(&anon, srv);
    client_pack(&sally, "POST", "/api/v1/tokens", &r, "{s:s, s:s}", "name", "ok", "scopes", PII_PHONE);
    assert_resp(&r, 400, "invalid");
    if (strstr(r.body.data, PII_PHONE)) {
        print_error("POST /api/v1/tokens echoes the unknown scope: %s\n", r.body.data);
        echoed = true;
    }
    client_call(&anon, "POST", "/api/v1/auth/login",
                "{\"username\":\"a\",\"password\":\"b\",\"" PII_ID "\":1}", &r);
    assert_resp(&r, 400, "invalid");
    if (strstr(r.body.data, PII_ID)) {
        print_error("an unknown JSON key is echoed: %s\n", r.body.data);
        echoed = true;
    }
    client_call(&anon, "POST", "/api/v1/auth/login",
                "{\"username\":\"a\",\"password\":\"b\",\"" PII_NAME "\":1}", &r);
    assert_resp(&r, 400, "invalid");
    if (strstr(r.body.data, PII_NAME)) {
        print_error("an unknown JSON key is echoed: %s\n", r.body.data);
        echoed = true;
    }
    {
        const char *const needles[] = { PII_ID, PII_NAME, PII_PHONE, NULL };
        server_assert_absent(srv, SCAN_DB | SCAN_LOG, needles);
    }
    resp_release(&r);
    client_release(&anon);
    assert_false(echoed);
}

/* The same at the login form: a user who types an ID number, a name or a phone number
 * into the user-name field gets the usual 401, and the attempt is logged and audited
 * without that text. */
static void
test_personal_data_as_login_name(void **state)
{
    struct server *srv = *state;
    struct client anon;
    struct resp r = RESP_INIT;

    client_init(&anon, srv);
    for (size_t i = 0; pii[i]; i++) {
        client_login(&anon, pii[i], PII_PHONE, NULL, &r);
        assert_resp(&r, 401, "login_failed");
        assert_null(strstr(r.body.data, pii[i]));
    }
    /* the log and the database are checked apart, to tell which one leaks (responses were
     * checked above: earlier tests' responses are not this test's business) */
    {
        bool leak = false;
        for (size_t i = 0; pii[i]; i++) {
            unsigned f = server_find(srv, SCAN_DB | SCAN_LOG, pii[i], strlen(pii[i]), true);
            if (f)
                print_error("personal datum %zu sent as a login name is in plaintext in:%s%s\n", i,
                            (f & SCAN_DB) ? " database (audit_log.actor)" : "",
                            (f & SCAN_LOG) ? " log (http.request actor)" : "");
            leak |= f != 0;
        }
        assert_false(leak);
    }
    resp_release(&r);
    client_release(&anon);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_secrets_never_in_plaintext),
        cmocka_unit_test(test_personal_data_in_rejected_requests),
        cmocka_unit_test(test_errors_do_not_echo_input),
        cmocka_unit_test(test_personal_data_as_login_name),
    };
    int failed = server_run("e2e_privacy", tests, sizeof tests / sizeof tests[0], prepare);
    if (enrolled_on[0])
        client_release(&sally);
    return failed;
}
