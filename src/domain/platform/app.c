/* domain/platform/app.c - actor helpers (R1.7 data scope). */
#include "domain/platform/app.h"

#include <string.h>

#include "core/err.h"
#include "core/str.h"

void
actor_system(struct actor *a, const char *name)
{
    memset(a, 0, sizeof *a);
    a->kind = ACTOR_SYSTEM;
    a->role = ROLE_NONE;
    str_copy(a->name, sizeof a->name, name);
    str_copy(a->ip, sizeof a->ip, "local");
    str_copy(a->request_id, sizeof a->request_id, "cli");
}

bool
actor_can(const struct actor *a, enum perm_bit p)
{
    return a->kind == ACTOR_SYSTEM || (a->perms & PERM_SET(p)) != 0;
}

bool
actor_in_scope(const struct actor *a, const char *subdistrict)
{
    return a->subdistrict[0] == '\0' || (subdistrict && strcmp(a->subdistrict, subdistrict) == 0);
}

int
actor_scope(const struct actor *a, const char *requested, const char **effective)
{
    if (a->subdistrict[0]) {
        if (requested && *requested && strcmp(requested, a->subdistrict) != 0)
            return ERR_FORBIDDEN;
        *effective = a->subdistrict;
        return 0;
    }
    *effective = requested ? requested : "";
    return 0;
}
