/* domain/exchange/hotline_store_impl.h - what the files of the hotline store share (private to
 * hotline_tickets.c, hotline_rules.c, hotline_runs.c; see hotline_store.h). */
#ifndef JY_DOMAIN_EXCHANGE_HOTLINE_STORE_IMPL_H
#define JY_DOMAIN_EXCHANGE_HOTLINE_STORE_IMPL_H
#include "db/db.h"
#include "domain/exchange/hotline_store.h"

/* The columns hotline__row reads, from hotline_tickets as t. */
#define HOTLINE_COLS                                                                                       \
    "SELECT t.id, t.number, t.received_at, t.created_at, t.category, t.title, t.content, t.status, t.caller," \
    " t.phone, t.address IS NOT NULL"

/* hotline__district: ERR_FORBIDDEN for an actor bound to a subdistrict. */
int hotline__district(const struct actor *a);
/* hotline__row reads the HOTLINE_COLS of the current row into t, masked. */
void hotline__row(const struct app *app, struct db_stmt *st, struct arena *arena, struct hotline_stored *t);
/* hotline__split_lines cuts text into its non-blank lines (in place); cap + 1 when there
 * are more than cap. */
size_t hotline__split_lines(char *text, const char **lines, size_t cap);

#endif
