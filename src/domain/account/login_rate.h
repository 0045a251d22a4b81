/* domain/account/login_rate.h - failed sign-in attempts per client address and per account
 * name, with back-off (issue 12, S6 登录失败处理).
 *
 * Before a login (or a password change, or a TOTP enrolment code) costs a PBKDF2 run or an
 * audit write, login_rate_check asks whether the address and the name may try now. Each
 * failure is counted with login_rate_fail. Up to `limit` failures per address (and
 * LOGIN_RATE_NAME_FACTOR x the policy's lockout attempts per name) are free; every failure
 * past that blocks the key for LOGIN_RATE_BASE_MS doubled per further failure, at most
 * LOGIN_RATE_MAX_MS. Refused attempts are not counted, so waiting is the only way on, and
 * a key with no failure for LOGIN_RATE_FORGET_MS starts afresh. A blocked name binds only
 * addresses with a failure on record: from a clean address its owner still gets a try (a
 * wrong one puts that address on record), so a stranger cannot keep a name blocked.
 *
 * In memory, per process: fixed tables of salted key hashes (the oldest slot reused), so a
 * flood of distinct names cannot grow memory. A restart forgets, which the account lock
 * in the database (user.h) does not.
 */
#ifndef JY_DOMAIN_ACCOUNT_LOGIN_RATE_H
#define JY_DOMAIN_ACCOUNT_LOGIN_RATE_H
#include <stdbool.h>
#include <stdint.h>

#define LOGIN_RATE_DEFAULT_LIMIT 20      /* failures per address before back-off */
#define LOGIN_RATE_NAME_FACTOR 4         /* x policy.lockout_attempts per name */
#define LOGIN_RATE_BASE_MS (60LL * 1000)  /* the first block */
#define LOGIN_RATE_MAX_MS (3600LL * 1000) /* the longest block */
#define LOGIN_RATE_FORGET_MS (3600LL * 1000)

/* login_rate_configure sets the per-address limit (serve --login-limit; >= 1). */
void login_rate_configure(int addr_limit);
/* login_rate_check: may addr (and name, when not NULL) try now? 0, or ERR_RATE with
 * *retry_at (ms, wall clock) saying when. */
int login_rate_check(const char *addr, const char *name, int64_t now, int64_t *retry_at);
/* login_rate_fail counts one failure for addr and name (may be NULL). Returns true when
 * that failure started a block of either. */
bool login_rate_fail(const char *addr, const char *name, int name_limit, int64_t now);
/* login_rate_clean: has addr no failure on record? */
bool login_rate_clean(const char *addr, int64_t now);
/* login_rate_reset forgets every key (tests). */
void login_rate_reset(void);

#endif
