/* domain/platform/perm.h - roles, permissions and API-token scopes (R1.7, S6).
 *
 * A permission is a bit; its name doubles as an API-token scope ("users.read"). Each role
 * has a fixed set (三权分立: sysadmin administers accounts, secadmin the security policy,
 * auditor reads the audit log; none of them sees business data). Subdistrict data scope is
 * not a permission: it travels with the actor (struct actor.subdistrict) and is enforced by
 * the domain queries. planned reports share the plans.* permissions.
 */
#ifndef JY_DOMAIN_PERM_H
#define JY_DOMAIN_PERM_H
#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"

#define PERM_TABLE(X)                        \
    X(USERS_READ, "users.read")              \
    X(USERS_WRITE, "users.write")            \
    X(TOKENS_READ, "tokens.read")            \
    X(TOKENS_WRITE, "tokens.write")          \
    X(SETTINGS_READ, "settings.read")        \
    X(SETTINGS_WRITE, "settings.write")      \
    X(AUDIT_READ, "audit.read")              \
    X(DASHBOARD_READ, "dashboard.read")      \
    X(DIVISIONS_READ, "divisions.read")      \
    X(PII_REVEAL, "pii.reveal")              \
    X(SITES_READ, "sites.read")              \
    X(SITES_WRITE, "sites.write")            \
    X(PLANS_READ, "plans.read")              \
    X(PLANS_WRITE, "plans.write")            \
    X(ACTUALS_READ, "actuals.read")          \
    X(ACTUALS_WRITE, "actuals.write")        \
    X(SAMPLES_READ, "samples.read")          \
    X(SAMPLES_WRITE, "samples.write")        \
    X(TRANSPORTS_READ, "transports.read")    \
    X(TRANSPORTS_WRITE, "transports.write")  \
    X(RESULTS_READ, "results.read")          \
    X(RESULTS_WRITE, "results.write")        \
    X(CHECKINS_READ, "checkins.read")        \
    X(CHECKINS_WRITE, "checkins.write")      \
    X(STATS_READ, "stats.read")              \
    X(EVENTS_READ, "events.read")            \
    X(WEBHOOKS_READ, "webhooks.read")        \
    X(WEBHOOKS_WRITE, "webhooks.write")      \
    X(PEOPLE_READ, "people.read")            \
    X(PLACES_READ, "places.read")            \
    X(PLACES_WRITE, "places.write")          \
    X(CAMERAS_READ, "cameras.read")          \
    X(CAMERAS_WRITE, "cameras.write")        \
    X(VIDEO_PLAY, "video.play")              \
    X(HEALTH_READ, "health.read")            \
    X(HEALTH_WRITE, "health.write")          \
    X(HOTLINE_READ, "hotline.read")          \
    X(HOTLINE_WRITE, "hotline.write")        \
    X(PEOPLE_ERASE, "people.erase") /* issue 12: erasure on request, secadmin only */

enum perm_bit {
#define PERM__BIT(name, scope) PERM_BIT_##name,
    PERM_TABLE(PERM__BIT)
#undef PERM__BIT
    PERM__COUNT
};

/* Route requirements: one permission bit, or one of these two special values. */
enum perm {
#define PERM__ENUM(name, scope) PERM_##name = PERM_BIT_##name,
    PERM_TABLE(PERM__ENUM)
#undef PERM__ENUM
    PERM_PUBLIC = 100, /* no authentication */
    PERM_LOGIN = 101,  /* any authenticated user or token */
};

typedef uint64_t perm_set; /* bit i = enum perm_bit i */
#define PERM_SET(p) ((perm_set)1 << (p))

#define ROLE_TABLE(X)                                  \
    X(SYSADMIN, "sysadmin", true)                      \
    X(SECADMIN, "secadmin", true)                      \
    X(AUDITOR, "auditor", true)                        \
    X(DISTRICT, "district", false)                     \
    X(SUBDISTRICT, "subdistrict", false)               \
    X(VIEWER, "viewer", false)

enum role {
#define ROLE__ENUM(name, str, totp) ROLE_##name,
    ROLE_TABLE(ROLE__ENUM)
#undef ROLE__ENUM
    ROLE__COUNT,
    ROLE_NONE = -1,
};

/* role_parse maps "sysadmin" to ROLE_SYSADMIN; ROLE_NONE when unknown. */
enum role role_parse(const char *s);
const char *role_name(enum role r);
perm_set role_perms(enum role r);
/* role_requires_totp: the admin roles must enrol a second factor (S6). */
bool role_requires_totp(enum role r);
const char *perm_name(enum perm_bit p);
/* perm_parse_scopes parses "a.read,b.write" into a set; ERR_INVALID names the bad scope
 * through *bad (points into s, length *bad_len). */
int perm_parse_scopes(const char *s, perm_set *out, const char **bad, size_t *bad_len);
/* PERM_TOKEN_ALLOWED: the scopes an API token may carry. Tokens serve upstream systems and
 * dashboards, so administration (users, tokens, settings, webhooks), the audit log and
 * personal-data reveal are never delegated to one (三权分立). */
extern const perm_set PERM_TOKEN_ALLOWED;
/* perm_format appends the names of the set, comma-separated. */
void perm_format(perm_set set, struct buf *out);

#endif
