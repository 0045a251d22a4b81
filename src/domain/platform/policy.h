/* domain/platform/policy.h - the security policy (S6): password rules, lockout, session timeouts,
 * second factor, the batch lookup quota. Stored in table settings ("policy.*" keys); defaults in POLICY_DEFAULTS.
 */
#ifndef JY_DOMAIN_POLICY_H
#define JY_DOMAIN_POLICY_H
#include "core/buf.h"
#include "domain/platform/app.h"

/* PBKDF2 iteration bounds (issue 12): every sign-in and password change runs PBKDF2 on a
 * request thread, so the secadmin cannot set a cost that stalls the server. */
#define POLICY_PBKDF2_MIN 10000
#define POLICY_PBKDF2_MAX 600000
/* Bounds of the per-account batch lookup quota, rows per 24 h (issue 12, domain/batch/batch_quota.h). */
#define POLICY_BATCH_ROWS_MIN 1000
#define POLICY_BATCH_ROWS_MAX 100000000

/* policy_load fills p with defaults overridden by stored settings. */
int policy_load(struct db *db, struct policy *p);
/* policy_save stores p and audits the change with every changed value, old and new
 * ("lockout_attempts=5->3"). A field out of range is ERR_INVALID with "'<field>' is out of
 * range" appended to why (the key without "policy."); the iteration count says its bounds. */
int policy_save(struct db *db, const struct keyring *kr, const struct actor *a,
                const struct policy *p, struct buf *why);
/* policy_check_password: 0, or ERR_WEAK_PASSWORD with a reason appended to why (English,
 * fit for the client: it never echoes the password). */
int policy_check_password(const struct policy *p, const char *username, const char *pw,
                          struct buf *why);

#endif
