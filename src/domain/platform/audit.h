/* domain/platform/audit.h - the append-only, hash-chained audit log (S6).
 *
 * Each row's mac = HMAC-SM3(audit key, previous mac | length-prefixed fields), the first
 * row chaining from 32 zero bytes. The chain head (audit_head) is updated in the same
 * transaction, so concurrent appenders serialise on it. Nothing here records personal data:
 * personal lookups are recorded by blind index ("blind:1a2b…").
 */
#ifndef JY_DOMAIN_AUDIT_H
#define JY_DOMAIN_AUDIT_H
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "domain/platform/app.h"

struct audit_entry {
    int64_t id, ts;
    const char *actor, *role, *ip, *action, *target, *result, *request_id, *detail;
};

/* audit_append adds one entry inside the caller's open transaction. result is "ok",
 * "denied", "failed", "locked" …; target and detail may be NULL. */
int audit_append(struct db *db, const struct keyring *kr, const struct actor *a,
                 const char *action, const char *target, const char *result, const char *detail);
/* audit_record is audit_append in a transaction of its own. */
int audit_record(struct db *db, const struct keyring *kr, const struct actor *a,
                 const char *action, const char *target, const char *result, const char *detail);

struct audit_query {
    const char *actor, *action; /* exact match, NULL = any */
    const char *result;         /* exact match ("ok", "denied", "failed" …), NULL = any */
    int64_t from, to;           /* ts range in ms, 0 = open */
    int64_t before_id;          /* paging: rows with id < before_id (0 = newest) */
    size_t limit;
};
/* audit_list returns entries newest first, strings allocated in arena; *total counts all
 * rows matching the filter. */
int audit_list(struct db *db, const struct audit_query *q, struct arena *arena,
               struct audit_entry **items, size_t *n, int64_t *total);
/* audit_security_recent returns the newest security entries (sign-in, lockouts, denied
 * access, account and policy changes, tokens; no personal-data lookups and no business
 * changes) for the security administrator's home page (issue 14), strings in arena, and
 * counts since `since` (ms) the failed sign-ins (auth.login failed or locked) and lockouts. */
int audit_security_recent(struct db *db, int64_t since, size_t limit, struct arena *arena,
                          struct audit_entry **items, size_t *n, int64_t *failed_logins,
                          int64_t *lockouts);
/* audit_reanchor re-tags the current head after an operator investigated a broken chain
 * (appends are refused while the head's tag does not verify: fail closed) and records an
 * "audit.reanchor" entry with finding as its detail. Console only. */
int audit_reanchor(struct db *db, const struct keyring *kr, const struct actor *a, const char *finding);
/* audit_verify walks the chain. *first_broken is 0 when intact, else the first row id whose
 * mac does not match (or the head, -1, when the tail was cut). */
int audit_verify(struct db *db, const struct keyring *kr, int64_t *checked, int64_t *first_broken);

#endif
