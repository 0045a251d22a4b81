/* domain/account/liveness.h - is a long-lived request's credential still good? (issue 12:
 * event streams re-checked; S6). A Server-Sent-Events stream authenticates once, at its
 * start; actor_still_valid is what it asks again on every heartbeat, so a stream ends when
 * its session is ended (logout), idle or past its lifetime, its user disabled, locked or
 * moved to another role or subdistrict, or its API/kiosk token revoked.
 */
#ifndef JY_DOMAIN_ACCOUNT_LIVENESS_H
#define JY_DOMAIN_ACCOUNT_LIVENESS_H
#include "db/db.h"
#include "domain/platform/app.h"

/* actor_still_valid: 0 when the credential a was built from (by the router, from a session
 * or a token) is still live and grants what a holds; ERR_UNAUTHENTICATED when not; ERR_DB
 * and friends when the check itself failed (callers end the stream then too). Unlike
 * session_lookup it never touches last_seen_at: an open stream does not keep an idle
 * session alive. Reads only (no audit). */
int actor_still_valid(const struct app *app, struct db *db, const struct actor *a);

#endif
