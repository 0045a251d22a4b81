/* domain/platform/app.h - the runtime context every layer above db/ and crypto/ shares: storage,
 * keys, policy; and the actor (who is acting, from where) passed to every domain call.
 */
#ifndef JY_DOMAIN_APP_H
#define JY_DOMAIN_APP_H
#include <stdbool.h>
#include <stdint.h>

#include "crypto/keyring.h"
#include "db/db.h"
#include "domain/platform/perm.h"

/* Security policy (S6, MLPS level 3); stored in the settings table, changed by secadmin. */
struct policy {
    int password_min_length;    /* characters */
    int password_min_classes;   /* of lower, upper, digit, symbol */
    int64_t password_max_age_ms; /* 0 = never expires */
    int lockout_attempts;       /* failed logins before a lock */
    int64_t lockout_ms;         /* lock duration */
    int64_t session_idle_ms;
    int64_t session_absolute_ms;
    bool totp_for_all;          /* also require TOTP for business roles */
    uint32_t pbkdf2_iterations;
    int64_t batch_rows_per_day; /* issue 12: rows one account may look up by batch in 24 h */
};

#define POLICY_DEFAULTS                                                                  \
    { 10, 3, 90LL * 86400000, 5, 15LL * 60000, 30LL * 60000, 12LL * 3600000, false,        \
      100000, 2000000 }

struct db_writer;

struct app {
    struct db_pool *pool;
    struct db_writer *writer; /* group commit of ingest requests (serve); NULL: none */
    struct keyring keys;
    struct policy policy;
    char var_dir[1024];
    int64_t started_at;
};

enum actor_kind { ACTOR_NONE, ACTOR_USER, ACTOR_TOKEN, ACTOR_SYSTEM };

/* Who is acting. Filled by the router from the session or API token, by the CLI as
 * ACTOR_SYSTEM ("cli"). subdistrict is "" for district-wide actors. */
struct actor {
    enum actor_kind kind;
    int64_t id;
    char name[64];
    enum role role;
    perm_set perms;
    char subdistrict[16];
    int64_t session_id;
    bool must_change_password;
    bool totp_pending;
    char ip[64];
    char request_id[40];
};

/* actor_system fills a for command-line work done by the operator ("cli"). */
void actor_system(struct actor *a, const char *name);
/* actor_can reports whether a holds permission p. */
bool actor_can(const struct actor *a, enum perm_bit p);
/* actor_in_scope: may a see rows of subdistrict code? (district-wide actors see all) */
bool actor_in_scope(const struct actor *a, const char *subdistrict);
/* actor_scope resolves the subdistrict a query of actor a may read: a scoped actor's own
 * ("requested" NULL, "" or the same), else requested ("" when NULL). ERR_FORBIDDEN when a
 * scoped actor asks for another subdistrict. *effective points at a's or requested's
 * storage. Shared by the statistics and the lists of transports and results. */
int actor_scope(const struct actor *a, const char *requested, const char **effective);

#endif
