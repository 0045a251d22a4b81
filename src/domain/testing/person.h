/* domain/testing/person.h - the personal test-result query (R4.1, R4.2): who is this ID number,
 * when and where were they sampled, by which institution tested, with what result.
 *
 * Lookups go by the blind index of the normalised ID number and are confirmed by opening
 * the sealed ID of each candidate row (a 64-bit index can collide). Names and IDs come back
 * masked unless the caller asks to reveal and holds pii.reveal; every lookup and every
 * reveal is audited by blind index, never by the number. Subdistrict accounts may look up
 * people sampled anywhere (the tender's use case) but see masked fields only.
 */
#ifndef JY_DOMAIN_PERSON_H
#define JY_DOMAIN_PERSON_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "domain/platform/app.h"

#define PERSON_DAYS_DEFAULT 14
#define PERSON_DAYS_MAX 90
#define PERSON_TESTS_MAX 200

#define PERSON_RESULT_DAMAGED "damaged" /* a result that failed its MAC (issue 12) */

struct person_test {
    int64_t sample_id, sampled_at, tested_at; /* tested_at 0 = no result yet */
    const char *site_code, *site_name, *tube_code, *institution, *result; /* result "" = pending,
                                                                             PERSON_RESULT_DAMAGED */
    int64_t result_id; /* the result row read (0: none) */
};

struct person_history {
    char id_number[19]; /* masked unless revealed */
    const char *name;   /* masked unless revealed; "" when never sampled */
    bool revealed;
    struct person_test *tests;
    size_t ntests;
    size_t damaged;     /* samples of this blind index whose sealed ID failed its integrity
                           check (issue 12): the answer is "damaged data", not "no tests";
                           audited as "integrity.failure" (result "failed"); also
                           counts the tests whose result failed its MAC */
    size_t damaged_results; /* of those, results that failed their MAC (issue 12): their
                               test reads result PERSON_RESULT_DAMAGED; audited apart
                               ("column=results") */
};

/* person_lookup answers for id_number (any user spelling; normalised here) over the last
 * days days (1..PERSON_DAYS_MAX). reveal asks for unmasked name and ID: ERR_FORBIDDEN
 * without pii.reveal (audited as a denied "people.reveal"). ERR_INVALID, with the reason
 * appended to why (naming the field; for an ID, its idno status code in parentheses), for
 * an ID that is not valid, days out of range, or a reveal without a reason (1..200 bytes,
 * no run of 15+ digits: it is kept in the audit log). Strings live in arena. A sample
 * whose sealed ID fails to open is counted in out->damaged (never taken for a collision). */
int person_lookup(struct app *app, struct db *db, const struct actor *a, const char *id_number, int days,
                  bool reveal, const char *reason, struct arena *arena, struct person_history *out,
                  struct buf *why);
/* person_reason_ok: is reason a valid reveal reason, 1..200 bytes of text without control
 * characters and without 11 or more digits in a run, single spaces, dashes, dots, slashes or
 * underscores between them skipped, ASCII or full-width (the reason is kept in the audit log,
 * which must never hold an ID number or a phone number, issue 12)? Shared by every reveal
 * (also domain/exchange). */
bool person_reason_ok(const char *reason);
/* person_mask_name keeps the first character: "张三" -> "张*", "欧阳娜娜" -> "欧***". */
void person_mask_name(const char *name, char *out, size_t cap);

#endif
