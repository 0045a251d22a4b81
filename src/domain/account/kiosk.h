/* domain/account/kiosk.h - kiosk sessions for wall displays (大屏, R2.7; S6 access control).
 *
 * A wall display has no keyboard, so it cannot log in as a user. It is given a read-only API
 * token instead (scopes from KIOSK_PERMS only, dashboard.read among them) and exchanges it
 * once for a kiosk cookie: POST /api/v1/auth/kiosk with "Authorization: Bearer jy_…". The
 * token travels in a header, never in a URL (the UI reads it from the URL fragment, which
 * browsers do not send), so it reaches neither the access log nor a Referer.
 *
 * The kiosk cookie is self-contained and stores nothing: "k1.<token id>.<issued ms>.<tag>",
 * tag = base64url(HMAC-SM3(token key, "kiosk|<token id>|<issued ms>")). It is valid while
 * the token is live (revoking the token ends every kiosk session made from it at once) and
 * for at most the policy's absolute session lifetime; then the display exchanges the token
 * again. The actor it yields is the token's (kind ACTOR_TOKEN, "kiosk:<id>", the token's
 * subdistrict scope) with only the token's scopes inside KIOSK_PERMS; the gate refuses a
 * kiosk every method but GET and HEAD (403), whatever its permissions.
 */
#ifndef JY_DOMAIN_KIOSK_H
#define JY_DOMAIN_KIOSK_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/str.h"
#include "domain/platform/app.h"

/* The most a kiosk may read: the dashboard, its statistics, the event stream, the names of
 * the divisions. A token carrying any other scope is refused for a kiosk. */
#define KIOSK_PERMS                                                                                 \
    (PERM_SET(PERM_BIT_DASHBOARD_READ) | PERM_SET(PERM_BIT_STATS_READ) | PERM_SET(PERM_BIT_EVENTS_READ) | \
     PERM_SET(PERM_BIT_DIVISIONS_READ))

/* kiosk_open makes a kiosk cookie value for actor a, who must have authenticated with an API
 * token (ERR_FORBIDDEN otherwise) holding dashboard.read and nothing outside KIOSK_PERMS
 * (ERR_FORBIDDEN, with the reason appended to why). The cookie is appended to cookie_out
 * (a secret: the caller wipes it). The exchange, granted or refused, is audited
 * ("auth.kiosk", target "token:<id>"). Storage and crypto errors as db.h / crypto. */
int kiosk_open(struct app *app, struct db *db, const struct actor *a, struct buf *cookie_out, struct buf *why);

/* kiosk_lookup checks a kiosk cookie value and fills actor a from its token (ip and
 * request_id are left as they are). ERR_UNAUTHENTICATED when malformed, forged, older than
 * the absolute session lifetime, or when the token has been revoked. */
int kiosk_lookup(struct app *app, struct db *db, const char *value, size_t n, struct actor *a);

/* kiosk_parse splits a cookie value "k1.<id>.<issued>.<tag>" (n bytes, at most 96, no NUL
 * needed): id in [1, INT64_MAX], issued in [0, INT64_MAX] (decimal), tag pointing into value,
 * exactly 43 base64url characters (whether it is right is kiosk_lookup's business). False when malformed.
 * Exposed for the fuzz target (fuzz/fuzz_kiosk.c). */
bool kiosk_parse(const char *value, size_t n, int64_t *id, int64_t *issued, struct str *tag);

#endif
