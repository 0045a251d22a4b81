/* domain/account/token.h - API tokens for upstream systems (R2.x ingest, S6).
 *
 * A token is "jy_" + 43 URL-safe characters, shown once at creation and stored only as
 * HMAC-SM3 digest. It carries scopes (permission names) and an optional subdistrict scope,
 * and is sent as "Authorization: Bearer jy_…".
 */
#ifndef JY_DOMAIN_TOKEN_H
#define JY_DOMAIN_TOKEN_H
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "domain/platform/app.h"

struct token_info {
    int64_t id;
    const char *name, *scopes, *subdistrict;
    int64_t created_at, revoked_at, last_used_at;
};

/* token_check_grant: may actor a mint a token with scopes and subdistrict (NULL or "" =
 * district-wide)? Scopes must lie inside PERM_TOKEN_ALLOWED and, unless a is the console
 * (ACTOR_SYSTEM), inside a's own permissions; a subdistrict-bound creator mints tokens of
 * its own subdistrict only (a token never exceeds its creator: 三权分立, issue 12).
 * ERR_FORBIDDEN with a client-facing reason appended to why (may be NULL). */
int token_check_grant(const struct actor *a, perm_set scopes, const char *subdistrict, struct buf *why);
/* token_create stores a new token and appends its secret to secret_out (shown once).
 * ERR_FORBIDDEN when token_check_grant refuses. */
int token_create(struct app *app, struct db *db, const struct actor *a, const char *name,
                 perm_set scopes, const char *subdistrict, struct buf *secret_out, int64_t *id);
/* token_authenticate fills actor a from a live token; ERR_UNAUTHENTICATED otherwise. */
int token_authenticate(struct app *app, struct db *db, const char *secret, size_t n,
                       struct actor *a);
/* token_revoke: ERR_NOT_FOUND when no such live token. */
int token_revoke(struct app *app, struct db *db, const struct actor *a, int64_t id);
/* token_list returns all tokens (never secrets), strings in arena, by id. */
int token_list(struct db *db, struct arena *arena, struct token_info **items, size_t *n);

#endif
