/* domain/retention/erase.h - deletion of one person's data on request (issue 12: "deletion of a
 * person's data on request"; S1, S5). The person is named by ID number (any spelling,
 * normalised); the rows are found by the blind index "idno" and confirmed by opening the sealed
 * ID (a 64-bit index can collide: a row whose ID opens to another number is kept). A row whose
 * sealed ID fails its integrity check is erased too (it may be this person's; it can never be
 * read again anyway).
 *
 * Removed, in ONE transaction:
 *   samples            the person's scans, and the sample_history versions of those samples;
 *   sample_history     earlier versions that named this person (a correction moved the sample
 *                      to another ID);
 *   results            the results of the person's tubes that no other sample shares (a pooled
 *                      tube's result stays while another person's sample points at it);
 *   batch_rows/results the rows of stored batch queries with this blind index (no confirmation:
 *                      the cells are one sealed array; batch counts stay as run);
 *   health_epi(+places) 流调 records with this ID.
 * Doctors and 12345 tickets are keyed by name and phone, never by ID number: not touched.
 * Counters (stat_*) are aggregates and are not decremented. One audit entry "people.erase",
 * target "blind:<16 hex>" (never the number), detail the counts and the reason.
 *
 * Who may: permission people.erase, held by the secadmin only (三权分立: the erasure is a data
 * protection duty; the sysadmin holds no data power, the auditor only reads and reviews the
 * entry, business roles must not destroy records of their own work). Never a token scope.
 *
 * Physical erasure: SQLite runs with secure_delete=ON (freed pages are zeroed); PostgreSQL
 * keeps dead tuples until VACUUM, and backups keep the data until they age out - both are
 * stated in docs/modules/retention.md.
 */
#ifndef JY_DOMAIN_ERASE_H
#define JY_DOMAIN_ERASE_H
#include <stdint.h>

#include "core/buf.h"
#include "domain/platform/app.h"

struct erase_counts {
    int64_t samples, sample_history, results, batch_rows, health_epi, kept_collisions;
    char target[40]; /* "blind:<16 hex>" */
};

/* person_erase erases every row about id_number (see above) and audits it. ERR_INVALID with
 * the reason appended to why for an ID that is not valid or a reason that is not 1..200 bytes
 * of text without ID or phone numbers (person_reason_ok). A person with no rows is not an
 * error: the counts are 0 and the erase is still audited. */
int person_erase(struct app *app, struct db *db, const struct actor *a, const char *id_number, const char *reason,
                 struct erase_counts *out, struct buf *why);

#endif
