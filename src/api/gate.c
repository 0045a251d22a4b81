/* api/gate.c - the checks every routed request passes before its handler (R1.7, S6):
 * who is calling (session cookie or API token), CSRF for cookie sessions, pending
 * password change / TOTP enrolment, and the route's permission. Denials are audited.
 * A wall display's kiosk cookie (domain/account/kiosk.h) is read when no session cookie
 * came; a kiosk may only GET and HEAD.
 */
#include <string.h>

#include "api/api.h"
#include "core/err.h"
#include "core/str.h"
#include "crypto/sm.h"
#include "domain/platform/audit.h"
#include "domain/account/kiosk.h"
#include "domain/account/session.h"
#include "domain/account/token.h"
#include "domain/account/user.h"
#include "http/cookie.h"
#include "http/server.h"

#define SESSION_COOKIE_SECURE "__Host-jy_session"
#define SESSION_COOKIE_PLAIN "jy_session"
#define KIOSK_COOKIE_SECURE "__Host-jy_kiosk"
#define KIOSK_COOKIE_PLAIN "jy_kiosk"

/* A wall display's kiosk cookie (domain/account/kiosk.h), when no session cookie came. */
static int
gate_authenticate_kiosk(struct req *req, const char *cookies, bool *kiosk)
{
    struct str token;
    if (!cookies || !cookie_get(cookies, http_cookie_secure(req) ? KIOSK_COOKIE_SECURE : KIOSK_COOKIE_PLAIN,
                                &token))
        return ERR_UNAUTHENTICATED;
    *kiosk = true;
    return kiosk_lookup(req->app, req->db, token.p, token.n, &req->actor);
}

static int
gate_authenticate(struct req *req, bool *kiosk)
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
    /* only the name this server sets: where the __Host- cookie is in use (TLS, loopback) a
     * plain jy_session - which a sibling host or plain-http page could plant - is refused */
    if (!cookies || !cookie_get(cookies, http_cookie_secure(req) ? SESSION_COOKIE_SECURE : SESSION_COOKIE_PLAIN,
                                &token))
        return gate_authenticate_kiosk(req, cookies, kiosk);
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
    bool kiosk = false;
    int rc;

    if (r->perm == PERM_PUBLIC)
        return 0;
    if ((rc = gate_authenticate(req, &kiosk)))
        return rc == ERR_UNAUTHENTICATED ? req_fail(req, rc, "authentication required") : rc;
    if (kiosk && strcmp(req->method, "GET") != 0 && strcmp(req->method, "HEAD") != 0) {
        gate_audit_denial(req, "access.denied");
        return req_fail(req, ERR_FORBIDDEN, "a kiosk session is read-only");
    }
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

static void
gate_set_cookie(struct req *req, const char *secure_name, const char *plain_name, const char *token)
{
    bool secure = http_cookie_secure(req);
    const char *v = token ? token : "";
    char *h = arena_printf(&req->arena, "%s=%s; Path=/; HttpOnly; SameSite=Strict%s%s",
                           secure ? secure_name : plain_name, v, secure ? "; Secure" : "",
                           token ? "" : "; Max-Age=0");
    req_add_header(req, "Set-Cookie", h);
}

void
gate_set_session_cookie(struct req *req, const char *token)
{
    gate_set_cookie(req, SESSION_COOKIE_SECURE, SESSION_COOKIE_PLAIN, token);
}

void
gate_set_kiosk_cookie(struct req *req, const char *value)
{
    gate_set_cookie(req, KIOSK_COOKIE_SECURE, KIOSK_COOKIE_PLAIN, value);
}
