/* api/account/auth.c - the /api/v1/auth resource: login, logout, me, password change, TOTP
 * enrolment (R1.7 login/logout, S6 identity). */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "core/err.h"
#include "core/log.h"
#include "core/time.h"
#include "crypto/password.h"
#include "domain/platform/audit.h"
#include "domain/account/login_rate.h"
#include "domain/account/session.h"
#include "domain/account/user.h"

#define AUTH_BODY_CAP 4096

static int
auth_reply_user(struct req *req, int status, const struct user *u, const char *csrf)
{
    json_t *out = json_object();
    json_object_set_new(out, "user", api_user_json(req, u));
    if (csrf)
        json_object_set_new(out, "csrf_token", json_string(csrf));
    return api_reply(req, status, out);
}

/* auth_say_locked tells when a locked name may try again (to the minute, local time) and
 * sets Retry-After. */
static void
auth_say_locked(struct req *req, int64_t until)
{
    char when[32], secs[24];
    int64_t left = (until - time_now_ms() + 999) / 1000;
    time_format_local(until + 59999, when, sizeof when); /* rounded up to the minute */
    when[16] = '\0';                                      /* "YYYY-MM-DD HH:MM" */
    req_fail(req, ERR_LOGIN_LOCKED, "too many failed attempts; try again after %s", when);
    snprintf(secs, sizeof secs, "%lld", (long long)(left > 0 ? left : 1));
    req_add_header(req, "Retry-After", secs);
}

/* auth_say_rate answers a limited address or name: 429 too_many_requests and Retry-After
 * in seconds (login_rate.h). */
static int
auth_say_rate(struct req *req, int64_t retry_at)
{
    char secs[24];
    int64_t left = (retry_at - time_now_ms() + 999) / 1000;
    snprintf(secs, sizeof secs, "%lld", (long long)(left > 0 ? left : 1));
    req_add_header(req, "Retry-After", secs);
    return req_fail(req, ERR_RATE, "too many failed attempts from here; wait %s seconds", secs);
}

/* auth_rate_gate refuses a password or code check from a limited address or account. */
static int
auth_rate_gate(struct req *req)
{
    int64_t retry_at = 0;
    int rc = login_rate_check(req->db, &req->app->keys, req->actor.ip, req->actor.name, time_now_ms(), &retry_at);
    return rc == ERR_RATE ? auth_say_rate(req, retry_at) : rc;
}

/* auth_rate_count counts a wrong current password or enrolment code like a failed login. */
static void
auth_rate_count(struct req *req)
{
    int rc = login_rate_fail(req->db, &req->app->keys, req->actor.ip, req->actor.name,
                             req->app->policy.lockout_attempts * LOGIN_RATE_NAME_FACTOR, time_now_ms(), NULL);
    if (rc)
        log_warn("auth.rate.count", "error", err_name(rc), NULL);
}

/* POST /api/v1/auth/login {"username","password","totp"?} -> {"user","csrf_token"} */
static int
auth_login_handler(struct req *req)
{
    json_t *body = NULL;
    const char *username = NULL, *password = NULL, *totp = NULL;
    struct user u;
    struct session s;
    struct buf token = BUF_INIT;
    int rc;

    if ((rc = api_body(req, &body)) ||
        (rc = api_unpack(req, body, "{s:s, s:s, s?s}", "username", &username, "password", &password,
                         "totp", &totp)))
        goto out;
    if (strlen(username) > 64 || strlen(password) > 256 || (totp && strlen(totp) > 16)) {
        rc = ERR_LOGIN_FAILED;
        goto out;
    }
    if ((rc = auth_login(req->app, req->db, &req->actor, username, password, totp, &u))) {
        if (rc == ERR_LOGIN_LOCKED)
            auth_say_locked(req, u.locked_until);
        else if (rc == ERR_RATE)
            auth_say_rate(req, u.locked_until);
        else if (rc == ERR_TOTP_WRONG)
            req_fail(req, rc, "the one-time code is wrong or was already used; wait for a new code");
        goto out;
    }
    if ((rc = session_create(req->app, req->db, u.id, req->actor.ip, &token, &s)))
        goto out;
    user_to_actor(req->app, &u, &req->actor);
    gate_set_session_cookie(req, token.data);
    rc = auth_reply_user(req, 200, &u, s.csrf);
out:
    buf_release_secret(&token);
    json_decref(body);
    return rc;
}

/* POST /api/v1/auth/logout -> 204 */
static int
auth_logout(struct req *req)
{
    int rc = session_end(req->db, req->actor.session_id);
    if (!rc)
        rc = audit_record(req->db, &req->app->keys, &req->actor, "auth.logout", "self", "ok", NULL);
    gate_set_session_cookie(req, NULL);
    return rc;
}

/* GET /api/v1/auth/me -> {"user","csrf_token"} */
static int
auth_me(struct req *req)
{
    struct user u;
    int rc;
    if (req->actor.kind != ACTOR_USER)
        return req_fail(req, ERR_FORBIDDEN, "only user sessions have a profile");
    if ((rc = user_get(req->db, req->actor.id, &u)))
        return rc;
    return auth_reply_user(req, 200, &u, req->via_cookie ? req->csrf : NULL);
}

/* POST /api/v1/auth/password {"current_password","new_password"} -> {"user"} */
static int
auth_password(struct req *req)
{
    json_t *body = NULL;
    const char *current = NULL, *next = NULL;
    struct user u;
    struct buf why = BUF_INIT;
    int rc;

    if (req->actor.kind != ACTOR_USER) {
        rc = req_fail(req, ERR_FORBIDDEN, "only users have passwords");
        goto out;
    }
    if ((rc = api_body(req, &body)) ||
        (rc = api_unpack(req, body, "{s:s, s:s}", "current_password", &current, "new_password", &next)))
        goto out;
    if ((rc = auth_rate_gate(req)) || (rc = user_get(req->db, req->actor.id, &u)))
        goto out;
    if (password_verify(current, u.password_hash) != 0) {
        auth_rate_count(req);
        audit_record(req->db, &req->app->keys, &req->actor, "user.password.change", "self", "failed",
                     "wrong current password");
        rc = req_fail(req, ERR_LOGIN_FAILED, "the current password is wrong");
        goto out;
    }
    if ((rc = user_set_password(req->app, req->db, &req->actor, u.id, next, false,
                                req->actor.session_id, &why))) {
        if (rc == ERR_WEAK_PASSWORD)
            req_fail(req, rc, "%s", why.data);
        goto out;
    }
    if ((rc = user_get(req->db, u.id, &u)))
        goto out;
    rc = auth_reply_user(req, 200, &u, NULL);
out:
    buf_release(&why);
    json_decref(body);
    return rc;
}

/* POST /api/v1/auth/totp/setup {} -> {"secret","otpauth_uri"} */
static int
auth_totp_setup_handler(struct req *req)
{
    struct buf secret = BUF_INIT;
    json_t *out;
    int rc;
    if (req->actor.kind != ACTOR_USER)
        return req_fail(req, ERR_FORBIDDEN, "only users enrol a second factor");
    if (req->actor.must_change_password)
        return ERR_PASSWORD_CHANGE;
    if ((rc = auth_totp_setup(req->app, req->db, &req->actor, &secret))) {
        if (rc == ERR_CONFLICT)
            req_fail(req, rc, "two-factor authentication is already enabled");
        goto out;
    }
    out = json_object();
    json_object_set_new(out, "secret", json_string(secret.data));
    json_object_set_new(out, "otpauth_uri",
                        json_string(arena_printf(&req->arena,
                                                 "otpauth://totp/jiayuan:%s?secret=%s&issuer=jiayuan"
                                                 "&algorithm=SHA1&digits=6&period=30",
                                                 req->actor.name, secret.data)));
    rc = api_reply(req, 200, out);
out:
    buf_release_secret(&secret);
    return rc;
}

/* POST /api/v1/auth/totp/enable {"code"} -> {"user"} */
static int
auth_totp_enable_handler(struct req *req)
{
    json_t *body = NULL;
    const char *code = NULL;
    struct user u;
    int rc;
    if (req->actor.kind != ACTOR_USER) {
        rc = req_fail(req, ERR_FORBIDDEN, "only users enrol a second factor");
        goto out;
    }
    if ((rc = api_body(req, &body)) || (rc = api_unpack(req, body, "{s:s}", "code", &code)) ||
        (rc = auth_rate_gate(req)))
        goto out;
    if ((rc = auth_totp_enable(req->app, req->db, &req->actor, code))) {
        if (rc == ERR_INVALID)
            auth_rate_count(req);
        if (rc == ERR_INVALID)
            req_fail(req, rc, "the code does not match; check the time on your phone and try again");
        else if (rc == ERR_CONFLICT)
            req_fail(req, rc, "two-factor authentication is already enabled");
        goto out;
    }
    if ((rc = user_get(req->db, req->actor.id, &u)))
        goto out;
    rc = auth_reply_user(req, 200, &u, NULL);
out:
    json_decref(body);
    return rc;
}

const struct route api_auth_routes[] = {
    { "POST", "/api/v1/auth/login", auth_login_handler, PERM_PUBLIC, ROUTE_JSON, AUTH_BODY_CAP },
    { "POST", "/api/v1/auth/logout", auth_logout, PERM_LOGIN, ROUTE_JSON | ROUTE_PENDING_OK, AUTH_BODY_CAP },
    { "GET", "/api/v1/auth/me", auth_me, PERM_LOGIN, ROUTE_PENDING_OK, 0 },
    { "POST", "/api/v1/auth/password", auth_password, PERM_LOGIN, ROUTE_JSON | ROUTE_PENDING_OK, AUTH_BODY_CAP },
    { "POST", "/api/v1/auth/totp/setup", auth_totp_setup_handler, PERM_LOGIN, ROUTE_JSON | ROUTE_PENDING_OK, AUTH_BODY_CAP },
    { "POST", "/api/v1/auth/totp/enable", auth_totp_enable_handler, PERM_LOGIN, ROUTE_JSON | ROUTE_PENDING_OK, AUTH_BODY_CAP },
    ROUTE_END
};
