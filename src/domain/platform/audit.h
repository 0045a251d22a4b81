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

struct db_writer;

/* audit_append adds one entry inside the caller's open transaction. result is "ok",
 * "denied", "failed", "locked" …; target and detail may be NULL. */
int audit_append(struct db *db, const struct keyring *kr, const struct actor *a,
                 const char *action, const char *target, const char *result, const char *detail);
/* audit_record is audit_append in a transaction of its own. */
int audit_record(struct db *db, const struct keyring *kr, const struct actor *a,
                 const char *action, const char *target, const char *result, const char *detail);
/* audit_record_via is audit_record for the audited reads on a request's path (personal
 * lookups): with a group-commit writer (db/db_writer.h) the entry is one write of the
 * writer's next group - committed, chained and on disk before this returns, at one fsync
 * per group instead of one per lookup; writer NULL: audit_record on db. The caller must
 * hold no transaction on db. */
int audit_record_via(struct db_writer *writer, struct db *db, const struct keyring *kr, const struct actor *a,
                     const char *action, const char *target, const char *result, const char *detail);

/* audit_entry_init fills e as audit_append would write it now (ts, actor name and role,
 * ip, request id from a; target and detail NULL mean ""). Strings are not copied. */
void audit_entry_init(struct audit_entry *e, const struct actor *a, const char *action, const char *target,
                      const char *result, const char *detail);
/* audit_append_entries appends n entries (made by audit_entry_init) in order inside the
 * caller's open transaction, reading and updating the chain head once and inserting with
 * multi-row statements (group commit folds a group's entries this way:
 * domain/platform/write_group.h). e[i].id is not set. */
int audit_append_entries(struct db *db, const struct keyring *kr, const struct audit_entry *e, size_t n);

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
 * mac does not match (or the head, -1, when the tail was cut). It reads the chain in slices
 * of AUDIT_VERIFY_SLICE rows (one statement each), so memory and the time a statement runs
 * stay bounded however long the chain is (issue 12). */
int audit_verify(struct db *db, const struct keyring *kr, int64_t *checked, int64_t *first_broken);
#define AUDIT_VERIFY_SLICE 10000
#define AUDIT_VERIFY_SLICE_MAX 100000
/* audit_verify_slice checks at most limit (1..AUDIT_VERIFY_SLICE_MAX) rows after row
 * after_id (0 = from the start), building on the stored mac of row after_id, so walking the
 * slices in order, each from the previous *next, checks the whole chain. *next is the last
 * row checked when the slice was full (more may follow), 0 at the end, where the head is
 * checked too (*first_broken -1 when the tail was cut). ERR_NOT_FOUND when row after_id does
 * not exist; ERR_INVALID for a bad limit. */
int audit_verify_slice(struct db *db, const struct keyring *kr, int64_t after_id, size_t limit, int64_t *checked,
                       int64_t *first_broken, int64_t *next);

#endif
