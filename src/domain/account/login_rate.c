/* domain/account/login_rate.c - failures per address and per name with back-off (see
 * login_rate.h). */
#include "domain/account/login_rate.h"

#include <pthread.h>
#include <string.h>

#include "core/err.h"
#include "crypto/sm.h"

#define LOGIN_RATE_SLOTS 1024

struct login_rate_slot {
    uint64_t hash; /* 0: free */
    int fails;
    int64_t blocked_until, last;
};

static struct login_rate_slot login_rate_slots[LOGIN_RATE_SLOTS];
static pthread_mutex_t login_rate_mu = PTHREAD_MUTEX_INITIALIZER;
static uint64_t login_rate_salt;
static int login_rate_addr_limit = LOGIN_RATE_DEFAULT_LIMIT;

void
login_rate_configure(int addr_limit)
{
    pthread_mutex_lock(&login_rate_mu);
    login_rate_addr_limit = addr_limit > 0 ? addr_limit : LOGIN_RATE_DEFAULT_LIMIT;
    pthread_mutex_unlock(&login_rate_mu);
}

/* login_rate_hash hashes kind ('a' address, 'n' name, case-folded) and text; under the lock. */
static uint64_t
login_rate_hash(char kind, const char *text)
{
    if (!login_rate_salt && crypto_random(&login_rate_salt, sizeof login_rate_salt))
        login_rate_salt = 0x9e3779b97f4a7c15ull;
    uint64_t h = (0xcbf29ce484222325ull ^ login_rate_salt) * 0x100000001b3ull;
    h = (h ^ (uint64_t)(unsigned char)kind) * 0x100000001b3ull;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++)
        h = (h ^ (uint64_t)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p)) * 0x100000001b3ull;
    return h | 1;
}

/* login_rate_find returns the slot of key (a fresh one, the oldest reused, when create),
 * or NULL; a slot idle for LOGIN_RATE_FORGET_MS starts afresh. Under the lock. */
static struct login_rate_slot *
login_rate_find(char kind, const char *text, int64_t now, bool create)
{
    uint64_t h = login_rate_hash(kind, text);
    size_t oldest = 0;
    for (size_t i = 0; i < LOGIN_RATE_SLOTS; i++) {
        struct login_rate_slot *s = &login_rate_slots[i];
        if (s->hash == h) {
            if (now - s->last > LOGIN_RATE_FORGET_MS && s->blocked_until <= now) {
                s->fails = 0;
                s->blocked_until = 0;
            }
            return s;
        }
        if (s->last < login_rate_slots[oldest].last)
            oldest = i;
    }
    if (!create)
        return NULL;
    struct login_rate_slot *s = &login_rate_slots[oldest];
    memset(s, 0, sizeof *s);
    s->hash = h;
    s->last = now;
    return s;
}

static int64_t
login_rate_blocked(char kind, const char *text, int64_t now)
{
    struct login_rate_slot *s = text ? login_rate_find(kind, text, now, false) : NULL;
    return s && s->blocked_until > now ? s->blocked_until : 0;
}

int
login_rate_check(const char *addr, const char *name, int64_t now, int64_t *retry_at)
{
    pthread_mutex_lock(&login_rate_mu);
    struct login_rate_slot *as = addr ? login_rate_find('a', addr, now, false) : NULL;
    int64_t a = as && as->blocked_until > now ? as->blocked_until : 0;
    /* a blocked name binds only addresses with failures on record: its owner, elsewhere,
     * still gets through, so a stranger cannot keep the name blocked */
    int64_t n = as && as->fails > 0 ? login_rate_blocked('n', name, now) : 0;
    pthread_mutex_unlock(&login_rate_mu);
    *retry_at = a > n ? a : n;
    return *retry_at ? ERR_RATE : 0;
}

/* login_rate_count counts one failure on key and blocks it past limit; true when blocked. */
static bool
login_rate_count(char kind, const char *text, int limit, int64_t now)
{
    struct login_rate_slot *s = login_rate_find(kind, text, now, true);
    s->fails++;
    s->last = now;
    if (s->fails < limit)
        return false;
    int shift = s->fails - limit;
    int64_t ms = shift >= 6 ? LOGIN_RATE_MAX_MS : LOGIN_RATE_BASE_MS << shift;
    s->blocked_until = now + (ms < LOGIN_RATE_MAX_MS ? ms : LOGIN_RATE_MAX_MS);
    return true;
}

bool
login_rate_fail(const char *addr, const char *name, int name_limit, int64_t now)
{
    bool blocked = false;
    pthread_mutex_lock(&login_rate_mu);
    if (addr)
        blocked |= login_rate_count('a', addr, login_rate_addr_limit, now);
    if (name && name_limit > 0)
        blocked |= login_rate_count('n', name, name_limit, now);
    pthread_mutex_unlock(&login_rate_mu);
    return blocked;
}

bool
login_rate_clean(const char *addr, int64_t now)
{
    pthread_mutex_lock(&login_rate_mu);
    struct login_rate_slot *s = login_rate_find('a', addr, now, false);
    bool clean = !s || s->fails == 0;
    pthread_mutex_unlock(&login_rate_mu);
    return clean;
}

void
login_rate_reset(void)
{
    pthread_mutex_lock(&login_rate_mu);
    memset(login_rate_slots, 0, sizeof login_rate_slots);
    pthread_mutex_unlock(&login_rate_mu);
}
