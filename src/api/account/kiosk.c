/* api/account/kiosk.c - the kiosk login of wall displays (大屏, R2.7; S6): a read-only API
 * token is exchanged for a kiosk cookie, and the screen asks who is looking. What a kiosk is
 * and may do is domain/account/kiosk.h; the gate (api/gate.c) reads the cookie and refuses a
 * kiosk every method but GET and HEAD. */
#include <string.h>

#include "api/api.h"
#include "core/err.h"
#include "core/time.h"
#include "domain/account/kiosk.h"

/* {"kind": "kiosk"|"user"|"token", "name", "subdistrict": code|null, "perms": [names]} */
static json_t *
kiosk_viewer_json(const struct actor *a, bool kiosk)
{
    json_t *perms = json_array();
    for (int p = 0; p < PERM__COUNT; p++)
        if (a->perms & PERM_SET(p))
            json_array_append_new(perms, json_string(perm_name((enum perm_bit)p)));
    return json_pack("{s:s, s:s, s:s?, s:o}", "kind", kiosk ? "kiosk" : a->kind == ACTOR_USER ? "user" : "token",
                     "name", a->name, "subdistrict", a->subdistrict[0] ? a->subdistrict : NULL, "perms", perms);
}

/* POST /api/v1/auth/kiosk  (Authorization: Bearer jy_… of a kiosk token; no body or {}, ignored)
 *   -> 200 {"viewer": {…}, "expires_at": ms} and the kiosk cookie */
static int
kiosk_open_handler(struct req *req)
{
    struct buf cookie = BUF_INIT, why = BUF_INIT;
    int rc;

    if ((rc = kiosk_open(req->app, req->db, &req->actor, &cookie, &why))) {
        if (why.len)
            rc = req_fail(req, rc, "%s", why.data);
        goto out;
    }
    gate_set_kiosk_cookie(req, cookie.data);
    /* From now on this actor is the kiosk: only its KIOSK_PERMS show. */
    req->actor.perms &= (perm_set)KIOSK_PERMS;
    rc = api_reply(req, 200,
                   json_pack("{s:o, s:I}", "viewer", kiosk_viewer_json(&req->actor, true), "expires_at",
                             (json_int_t)(time_now_ms() + req->app->policy.session_absolute_ms)));
out:
    buf_release_secret(&cookie);
    buf_release(&why);
    return rc;
}

/* GET /api/v1/auth/kiosk -> {"kind","name","subdistrict","perms"}: who is looking at the
 * screen (a kiosk, a user or a token); kiosks have no user profile for /auth/me. */
static int
kiosk_viewer_handler(struct req *req)
{
    bool kiosk = req->actor.kind == ACTOR_TOKEN && strncmp(req->actor.name, "kiosk:", 6) == 0;
    return api_reply(req, 200, kiosk_viewer_json(&req->actor, kiosk));
}

const struct route api_kiosk_routes[] = {
    { "POST", "/api/v1/auth/kiosk", kiosk_open_handler, PERM_DASHBOARD_READ, ROUTE_JSON, 64 },
    { "GET", "/api/v1/auth/kiosk", kiosk_viewer_handler, PERM_DASHBOARD_READ, 0, 0 },
    ROUTE_END
};
