/* domain/platform/perm.c - role and permission tables (R1.7, S6 三权分立). */
#include "domain/platform/perm.h"

#include <string.h>

#include "core/err.h"

static const char *const perm_names[] = {
#define PERM__NAME(name, scope) scope,
    PERM_TABLE(PERM__NAME)
#undef PERM__NAME
};

static const struct {
    const char *name;
    bool totp;
} role_rows[] = {
#define ROLE__ROW(name, str, totp) { str, totp },
    ROLE_TABLE(ROLE__ROW)
#undef ROLE__ROW
};

#define P(x) PERM_SET(PERM_BIT_##x)
/* What every business role reads (subdistrict accounts within their scope). */
#define PERM_BUSINESS_READ                                                                   \
    (P(DASHBOARD_READ) | P(DIVISIONS_READ) | P(SITES_READ) | P(PLANS_READ) | P(ACTUALS_READ) | \
     P(SAMPLES_READ) | P(TRANSPORTS_READ) | P(RESULTS_READ) | P(CHECKINS_READ) | P(STATS_READ) | \
     P(EVENTS_READ) | P(PLACES_READ) | P(CAMERAS_READ))
const perm_set PERM_TOKEN_ALLOWED = PERM_BUSINESS_READ | P(SITES_WRITE) | P(PLANS_WRITE) | P(ACTUALS_WRITE) |
                                    P(SAMPLES_WRITE) | P(TRANSPORTS_WRITE) | P(RESULTS_WRITE) |
                                    P(CHECKINS_WRITE) | P(PLACES_WRITE) | P(CAMERAS_WRITE) |
                                    P(VIDEO_PLAY) | /* third-party play links (R3.6, issue 9) */
                                    P(HEALTH_READ) | P(HEALTH_WRITE) | /* the commission's feed (R2.13) */
                                    P(HOTLINE_READ) | P(HOTLINE_WRITE); /* the 12345 centre's tickets (R2.12) */

static const perm_set role_perm_sets[ROLE__COUNT] = {
    [ROLE_SYSADMIN] = P(USERS_READ) | P(USERS_WRITE) | P(TOKENS_READ) | P(TOKENS_WRITE) |
                      P(DIVISIONS_READ) | P(SETTINGS_READ) | P(WEBHOOKS_READ) | P(WEBHOOKS_WRITE),
    [ROLE_SECADMIN] = P(SETTINGS_READ) | P(SETTINGS_WRITE) | P(USERS_READ) | P(DIVISIONS_READ) |
                      P(PEOPLE_ERASE), /* erasure on request: a data-protection duty (issue 12) */
    [ROLE_AUDITOR] = P(AUDIT_READ) | P(DIVISIONS_READ),
    [ROLE_DISTRICT] = PERM_BUSINESS_READ | P(SITES_WRITE) | P(PLANS_WRITE) | P(ACTUALS_WRITE) |
                      P(PEOPLE_READ) | P(PII_REVEAL) | P(PLACES_WRITE) | P(CAMERAS_WRITE) |
                      P(VIDEO_PLAY) | P(HEALTH_READ) | P(HEALTH_WRITE) |
                      P(HOTLINE_READ) | P(HOTLINE_WRITE), /* district-wide: tickets carry no subdistrict */
    /* Places and cameras (issue 8): subdistrict accounts keep their own ledgers, scoped. */
    [ROLE_SUBDISTRICT] = PERM_BUSINESS_READ | P(ACTUALS_WRITE) | P(PEOPLE_READ) | P(PLACES_WRITE) |
                         P(CAMERAS_WRITE) | P(VIDEO_PLAY) | /* live video of its own cameras (issue 9) */
                         P(HEALTH_READ), /* 流调 of its own subdistrict, masked (R2.13) */
    [ROLE_VIEWER] = P(DASHBOARD_READ) | P(DIVISIONS_READ) | P(SITES_READ) | P(STATS_READ) | P(EVENTS_READ) |
                    P(PLACES_READ) | P(CAMERAS_READ),
};
#undef P

enum role
role_parse(const char *s)
{
    for (int r = 0; s && r < ROLE__COUNT; r++)
        if (strcmp(s, role_rows[r].name) == 0)
            return (enum role)r;
    return ROLE_NONE;
}

const char *
role_name(enum role r)
{
    return r >= 0 && r < ROLE__COUNT ? role_rows[r].name : "none";
}

perm_set
role_perms(enum role r)
{
    return r >= 0 && r < ROLE__COUNT ? role_perm_sets[r] : 0;
}

bool
role_requires_totp(enum role r)
{
    return r >= 0 && r < ROLE__COUNT && role_rows[r].totp;
}

const char *
perm_name(enum perm_bit p)
{
    return (unsigned)p < PERM__COUNT ? perm_names[p] : "";
}

int
perm_parse_scopes(const char *s, perm_set *out, const char **bad, size_t *bad_len)
{
    perm_set set = 0;
    const char *p = s;
    while (*p) {
        size_t n = strcspn(p, ",");
        bool found = false;
        for (int i = 0; i < PERM__COUNT; i++) {
            if (strlen(perm_names[i]) == n && memcmp(p, perm_names[i], n) == 0) {
                set |= PERM_SET(i);
                found = true;
            }
        }
        if (!found) {
            *bad = p;
            *bad_len = n;
            return ERR_INVALID;
        }
        p += n;
        if (*p == ',')
            p++;
    }
    if (!set) {
        *bad = s;
        *bad_len = 0;
        return ERR_INVALID;
    }
    *out = set;
    return 0;
}

void
perm_format(perm_set set, struct buf *out)
{
    bool first = true;
    for (int i = 0; i < PERM__COUNT; i++) {
        if (!(set & PERM_SET(i)))
            continue;
        if (!first)
            buf_addch(out, ',');
        buf_adds(out, perm_names[i]);
        first = false;
    }
}
