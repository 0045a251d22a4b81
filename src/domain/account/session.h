/* domain/account/session.h - server-side login sessions (S6: idle and absolute timeouts).
 *
 * The browser holds a random 256-bit token in a cookie; the database holds only
 * HMAC-SM3(token key, token), so a database leak yields no usable session. Each session has
 * its own CSRF token, sent back in X-CSRF-Token on state-changing requests.
 */
#ifndef JY_DOMAIN_SESSION_H
#define JY_DOMAIN_SESSION_H
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "domain/platform/app.h"
#include "domain/account/user.h"

#define SESSION_CSRF_MAX 64

struct session {
    int64_t id, user_id, created_at, last_seen_at;
    char csrf[SESSION_CSRF_MAX];
};

/* secret_digest hashes a bearer secret (session or API token) with the token key of the
 * oldest data key, which stays stable across key rotation. */
int secret_digest(const struct keyring *kr, const char *secret, size_t n, uint8_t out[32]);
/* secret_generate appends prefix and 32 random bytes in URL-safe base64 to out. */
int secret_generate(const char *prefix, struct buf *out);

/* session_create starts a session for user_id; token_out receives the cookie value and
 * out the stored record (with its CSRF token). */
int session_create(struct app *app, struct db *db, int64_t user_id, const char *ip,
                   struct buf *token_out, struct session *out);
/* session_lookup finds a live session by cookie token and loads its user.
 * ERR_UNAUTHENTICATED when unknown, idle or past its absolute lifetime (then deleted), or
 * when the user is disabled or locked. Touches last_seen_at at most once a minute. */
int session_lookup(struct app *app, struct db *db, const char *token, size_t n,
                   struct session *s, struct user *u);
int session_end(struct db *db, int64_t id);
/* session_end_user ends all sessions of user_id except except_id (0 = none kept). */
int session_end_user(struct db *db, int64_t user_id, int64_t except_id);

#endif
