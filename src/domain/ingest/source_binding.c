/* domain/ingest/source_binding.c - an ingest `source` belongs to the writer that first used it
 * (issue 12: idempotency keys bound to the caller, so one writer cannot pre-claim another
 * source's (source, external_id) keys). Contracts in ingest.h (ingest_source_owner,
 * ingest_source_bind); the per-item check is ingest_check_source in ingest.c. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "db/db.h"
#include "db/db_value.h"
#include "domain/ingest/ingest.h"

static const char sql_src_claim[] =
    "INSERT INTO ingest_sources (source, owner, created_at) VALUES (?1, ?2, ?3) ON CONFLICT (source) DO NOTHING";
static const char sql_src_owner[] = "SELECT owner FROM ingest_sources WHERE source = ?1";

int
ingest_source_owner(const struct actor *a, char out[INGEST_OWNER_MAX])
{
    if (a->kind == ACTOR_TOKEN)
        snprintf(out, INGEST_OWNER_MAX, "token:%lld", (long long)a->id);
    else if (a->kind == ACTOR_USER)
        snprintf(out, INGEST_OWNER_MAX, "user:%lld", (long long)a->id);
    else
        return ERR_NOT_FOUND; /* the console: trusted, binds nothing */
    return 0;
}

int
ingest_source_bind(struct db *db, const char *source, const char *owner, int64_t now, bool *mine)
{
    struct db_stmt *st = NULL;
    bool row = false;
    char have[INGEST_OWNER_MAX];
    int rc;
    *mine = false;
    if ((rc = db_prepare(db, sql_src_claim, &st)) || (rc = db_bind_text(st, 1, source, strlen(source))) ||
        (rc = db_bind_text(st, 2, owner, strlen(owner))) || (rc = db_bind_i64(st, 3, now)) ||
        (rc = db_step(st, &row)))
        goto out;
    db_done(st);
    st = NULL;
    if ((rc = db_prepare(db, sql_src_owner, &st)) || (rc = db_bind_text(st, 1, source, strlen(source))) ||
        (rc = db_step(st, &row)))
        goto out;
    db_col_copy(st, 0, have, sizeof have);
    *mine = row && strcmp(have, owner) == 0;
out:
    db_done(st);
    return rc;
}
