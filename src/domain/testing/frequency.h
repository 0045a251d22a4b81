/* domain/testing/frequency.h - 参与核酸频次: how often one person was sampled, per month over a
 * span (R4.1 with issue 10), for the district.
 *
 * Like the personal lookup (person.h) it goes by the blind index of the normalised ID
 * number, confirms each candidate row by opening its sealed ID (a 64-bit index can
 * collide), answers with the ID and name masked (no reveal here), and is audited by blind
 * index ("people.frequency", detail: the span and the count; never the number). It is a
 * district tool: district accounts and the unscoped system only; anyone else gets
 * ERR_FORBIDDEN, audited as a denied "people.frequency". Months are calendar months in
 * Asia/Shanghai; deleted samples do not count.
 */
#ifndef JY_DOMAIN_FREQUENCY_H
#define JY_DOMAIN_FREQUENCY_H
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "domain/platform/app.h"

#define FREQUENCY_MONTHS_MAX 36     /* months in one span */
#define FREQUENCY_MONTHS_DEFAULT 12 /* without "from": this many months ending with "to" */

struct frequency_month {
    char month[8]; /* "2026-01" */
    int64_t tests;
};

struct person_frequency {
    char id_number[19]; /* masked */
    const char *name;   /* masked; "" when never sampled in the span */
    char from[8], to[8]; /* the span, inclusive months */
    struct frequency_month *months; /* every month of the span, oldest first, zeros included */
    size_t nmonths;
    int64_t total;
};

/* person_frequency counts the samples of id_number (any user spelling) per month from
 * month from to month to ("YYYY-MM", inclusive; NULL or "": to = the current month, from =
 * FREQUENCY_MONTHS_DEFAULT months ending with to). ERR_INVALID (why: the field) for a bad
 * ID or month or a span of more than FREQUENCY_MONTHS_MAX months or reversed. Strings and
 * months live in arena. */
int person_frequency(struct app *app, struct db *db, const struct actor *a, const char *id_number, const char *from,
                     const char *to, struct arena *arena, struct person_frequency *out, struct buf *why);

/* frequency_month_parse reads "YYYY-MM" (exactly; year 2019..2100) into *index (year * 12
 * + month - 1); ERR_INVALID otherwise. frequency_month_name writes index back (out: 8
 * bytes). Exposed for fuzz/fuzz_review.c. */
int frequency_month_parse(const char *s, int64_t *index);
void frequency_month_name(int64_t index, char out[8]);

#endif
