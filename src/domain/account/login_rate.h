/* domain/account/login_rate.h - failed sign-in attempts per client address and per account
 * name, with back-off (issue 12, S6 登录失败处理), shared by every node (issue 13).
 *
 * Before a login (or a password change, or a TOTP enrolment code) costs a PBKDF2 run or an
 * audit write, login_rate_check asks whether the address and the name may try now. Each
 * failure is counted with login_rate_fail. Up to `limit` failures per address (and
 * LOGIN_RATE_NAME_FACTOR x the policy's lockout attempts per name) are free; every failure
 * past that blocks the key for LOGIN_RATE_BASE_MS doubled per further failure, at most
 * LOGIN_RATE_MAX_MS. Refused attempts are not counted, so waiting is the only way on, and
 * a key with no failure for LOGIN_RATE_FORGET_MS (and no block running) starts afresh. A
 * blocked name binds only addresses with a failure on record: from a clean address its
 * owner still gets a try (a wrong one puts that address on record), so a stranger cannot
 * keep a name blocked.
 *
 * Storage: the table login_limits (migration 0029), one row per key, in the database every
 * node shares, so the limit holds across nodes and restarts. A key is HMAC-SM3 under the
 * first data key's token subkey (the session-token key) of "login-rate" | kind ('a' address,
 * 'n' name) | text, ASCII case-folded: neither the address nor the name is stored.
 *   - check: one read of at most two rows by primary key;
 *   - failure: one upsert (the count, atomic across nodes: ON CONFLICT … failures + 1)
 *     and, past the limit, one conditional update of blocked_until (it only grows), each
 *     committed on its own on the caller's connection. Not through the group-commit writer:
 *     a failure already paid a PBKDF2 run, so a shared fsync saves nothing measurable, and
 *     a guessing flood must not queue ahead of real data writes in the writer.
 *   - bound: rows idle past the forget window (and not blocked) are deleted by
 *     login_rate_purge, run opportunistically every LOGIN_RATE_PURGE_EVERY failures of a
 *     process; a row costs its maker a PBKDF2 run, so growth is bounded by that rate.
 * Callers must not hold a transaction open on db (each write commits by itself).
 * Errors: the ERR_* of db.h (the check then refuses: the caller answers with the error).
 */
#ifndef JY_DOMAIN_ACCOUNT_LOGIN_RATE_H
#define JY_DOMAIN_ACCOUNT_LOGIN_RATE_H
#include <stdbool.h>
#include <stdint.h>

struct db;
struct keyring;

#define LOGIN_RATE_DEFAULT_LIMIT 20      /* failures per address before back-off */
#define LOGIN_RATE_NAME_FACTOR 4         /* x policy.lockout_attempts per name */
#define LOGIN_RATE_BASE_MS (60LL * 1000)  /* the first block */
#define LOGIN_RATE_MAX_MS (3600LL * 1000) /* the longest block */
#define LOGIN_RATE_FORGET_MS (3600LL * 1000)
#define LOGIN_RATE_PURGE_EVERY 64 /* failures of a process between opportunistic purges */

/* login_rate_configure sets the per-address limit (serve --login-limit; >= 1). */
void login_rate_configure(int addr_limit);
/* login_rate_check: may addr (and name, when not NULL) try now? 0, ERR_RATE with
 * *retry_at (ms, wall clock) saying when, or a database error. */
int login_rate_check(struct db *db, const struct keyring *kr, const char *addr, const char *name, int64_t now,
                     int64_t *retry_at);
/* login_rate_fail counts one failure for addr and name (either may be NULL; the name only
 * when name_limit > 0). *blocked (may be NULL) is set when that failure started a block. */
int login_rate_fail(struct db *db, const struct keyring *kr, const char *addr, const char *name, int name_limit,
                    int64_t now, bool *blocked);
/* login_rate_clean: *clean is set when addr has no failure on record. */
int login_rate_clean(struct db *db, const struct keyring *kr, const char *addr, int64_t now, bool *clean);
/* login_rate_purge deletes the rows forgotten at now; *deleted (may be NULL) counts them. */
int login_rate_purge(struct db *db, int64_t now, int64_t *deleted);
/* login_rate_unblock forgets addr or name (kind 'a' or 'n'): an administrator's way to
 * lift a block early. *found says whether there was a row. */
int login_rate_unblock(struct db *db, const struct keyring *kr, char kind, const char *text, bool *found);
/* login_rate_reset forgets every key (tests). */
int login_rate_reset(struct db *db);

#endif
