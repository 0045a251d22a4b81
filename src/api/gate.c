/* api/gate.c - the checks every routed request passes before its handler (R1.7, S6):
 * who is calling (session cookie or API token), CSRF for cookie sessions, pending
 * password change / TOTP enrolment, and the route's permission. Denials are audited.
 */
#include <string.h>

#include "api/api.h"
#include "core/err.h"
#include "core/str.h"
#include "crypto/sm.h"
#include "domain/platform/audit.h"
#include "domain/account/session.h"
#include "domain/account/token.h"
#include "domain/account/user.h"
#include "http/cookie.h"
#include "http/server.h"

#define SESSION_COOKIE_SECURE "__Host-jy_session"
#define SESSION_COOKIE_PLAIN "jy_session"

static int
gate_authenticate(struct req *req)
{
    const char *authz = req_header(req, "Authorization");
    const char *cookies = req_header(req, "Cookie");
    struct str token;
    struct session s;
    struct user u;
    int rc;

    if (authz && strncasecmp(authz, "Bearer ", 7) == 0) {
        struct str t = str_trim(str_of(authz + 7));
        return token_authenticate(req->app, req->db, t.p, t.n, &req->actor);
    }
    if (!cookies || (!cookie_get(cookies, SESSION_COOKIE_SECURE, &token) &&
                     !cookie_get(cookies, SESSION_COOKIE_PLAIN, &token)))
        return ERR_UNAUTHENTICATED;
    if ((rc = session_lookup(req->app, req->db, token.p, token.n, &s, &u)))
        return rc;
    user_to_actor(req->app, &u, &req->actor);
    req->actor.session_id = s.id;
    req->via_cookie = true;
    str_copy(req->csrf, sizeof req->csrf, s.csrf);
    return 0;
}

static void
gate_audit_denial(struct req *req, const char *action)
{
    (void)audit_record(req->db, &req->app->keys, &req->actor, action, req->route->path, "denied",
                       req->method);
}

int
api_gate(struct req *req)
{
    const struct route *r = req->route;
    int rc;

    if (r->perm == PERM_PUBLIC)
        return 0;
    if ((rc = gate_authenticate(req)))
        return rc == ERR_UNAUTHENTICATED ? req_fail(req, rc, "authentication required") : rc;
    if (req->via_cookie && strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
        const char *sent = req_header(req, "X-CSRF-Token");
        size_t n = strlen(req->csrf);
        if (!sent || strlen(sent) != n || !crypto_equal(sent, req->csrf, n)) {
            gate_audit_denial(req, "access.csrf");
            return req_fail(req, ERR_CSRF, "missing or wrong 'X-CSRF-Token'");
        }
    }
    if (!(r->flags & ROUTE_PENDING_OK)) {
        if (req->actor.must_change_password)
            return ERR_PASSWORD_CHANGE;
        if (req->actor.totp_pending)
            return ERR_TOTP_ENROL;
    }
    if (r->perm != PERM_LOGIN && !actor_can(&req->actor, (enum perm_bit)r->perm)) {
        gate_audit_denial(req, "access.denied");
        return req_fail(req, ERR_FORBIDDEN, "permission '%s' is required", perm_name((enum perm_bit)r->perm));
    }
    return 0;
}

void
gate_set_session_cookie(struct req *req, const char *token)
{
    bool secure = http_cookie_secure(req);
    const char *v = token ? token : "";
    char *h = arena_printf(&req->arena, "%s=%s; Path=/; HttpOnly; SameSite=Strict%s%s",
                           secure ? SESSION_COOKIE_SECURE : SESSION_COOKIE_PLAIN, v,
                           secure ? "; Secure" : "", token ? "" : "; Max-Age=0");
    req_add_header(req, "Set-Cookie", h);
}
