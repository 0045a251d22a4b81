/* domain/platform/audit_ship.h - the audit chain's tags kept off the host (issue 12, S6).
 *
 * The chain head carries a keyed tag (audit.h), but someone with the database's owner
 * rights can keep an old copy of the head row, delete the newest entries and put the old
 * head back: the shortened chain then verifies. Shipping each entry's chain tag (its mac,
 * never its content: the mac is keyed and says nothing about the entry) to a place that
 * person does not control closes that gap.
 *
 * The shipper tails audit_log for committed rows (an entry rolled back with its
 * transaction is never shipped; appends serialise on the head, so ids commit in order)
 * and writes one line per entry, "<id> <64 hex digits of the mac>\n":
 *   - to a file (--audit-tag-file PATH; meant to be on another volume or a remote mount),
 *     opened O_APPEND, one write and one fsync per group of lines;
 *   - and/or to syslog (--audit-syslog FACILITY), message "audit-tag <id> <hex>", so the
 *     host's log shipping carries it away.
 * After a restart shipping resumes after the last id in the file (syslog only: after the
 * head at start; entries written while no server ran reach syslog only with a file).
 *
 * audit_tags_verify compares a tag file with the database: every shipped id must still be
 * there with the same mac. A rewound or cut chain shows as a missing id, an edited and
 * re-chained one (by someone with the key) as a differing mac.
 */
#ifndef JY_DOMAIN_AUDIT_SHIP_H
#define JY_DOMAIN_AUDIT_SHIP_H
#include <stdint.h>

#include "crypto/sm.h"
#include "db/db.h"

#define AUDIT_SHIP_GROUP 1000 /* lines per write + fsync */

struct audit_ship;

/* audit_ship_facility maps "user", "daemon", "auth", "authpriv", "local0".."local7" to
 * the syslog facility; ERR_INVALID for anything else. */
int audit_ship_facility(const char *name, int *facility);
/* audit_ship_open prepares shipping to tag_file (NULL: none) and syslog facility (NULL:
 * none; one of audit_ship_facility's names). The file is created 0600 when missing and its
 * last complete line gives the id to go on after; without a file the current head of db
 * does. ERR_INVALID (bad facility, both NULL, a tag file that is not one), ERR_IO. */
int audit_ship_open(struct db *db, const char *tag_file, const char *facility, struct audit_ship **out);
/* audit_ship_poll ships every committed entry after the last shipped one; *shipped (may
 * be NULL) counts them. A failed write or fsync is ERR_IO and the same entries are tried
 * again next time (a line may then appear twice: harmless, both carry the same mac). */
int audit_ship_poll(struct audit_ship *s, struct db *db, int64_t *shipped);
/* audit_ship_last is the id of the last entry shipped. */
int64_t audit_ship_last(const struct audit_ship *s);
void audit_ship_close(struct audit_ship *s);

/* audit_tag_parse reads one tag line without its newline (line[0..n), no NUL needed):
 * "<id> <64 lowercase or uppercase hex digits>", id 1..999999999999999999 in decimal.
 * ERR_INVALID for anything else (fuzz/fuzz_audit_tags.c). */
int audit_tag_parse(const char *line, size_t n, int64_t *id, uint8_t mac[SM3_LEN]);

enum audit_tag_problem {
    AUDIT_TAG_OK = 0,
    AUDIT_TAG_MISSING,  /* a shipped entry is no longer in the database (rewound or cut) */
    AUDIT_TAG_DIFFERS,  /* the entry is there with another mac (rewritten) */
    AUDIT_TAG_BAD_LINE, /* the tag file has a line that is not "<id> <hex>" */
};
/* audit_tags_verify reads the tag file path and checks each line against db. *checked
 * counts the lines that matched before the first problem; *problem and *bad_id (the id,
 * or the line number for AUDIT_TAG_BAD_LINE) name the first problem. ERR_IO when the file
 * cannot be read. */
int audit_tags_verify(struct db *db, const char *path, int64_t *checked, enum audit_tag_problem *problem,
                      int64_t *bad_id);

#endif
