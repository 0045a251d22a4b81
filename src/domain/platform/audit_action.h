/* domain/platform/audit_action.h - the names of audit actions (issue 14 "Audit log: actions
 * and details in Chinese (the code kept beside them), an action picker with search").
 *
 * Every action code the server writes into the audit log (domain/platform/audit.h) has a
 * Chinese and an English name here. Most codes are listed one by one; two families are
 * derived: "export.<list>" (api/export.h: an .xlsx export of a list, named after the list)
 * and "<kind>.ingest" (domain/ingest: a batch of records of a kind), plus "export.stats.<name>"
 * (a statistic's export). tests/unit/domain/platform/test_audit_action.c scans the source
 * for the codes written and fails on one without a name.
 */
#ifndef JY_DOMAIN_AUDIT_ACTION_H
#define JY_DOMAIN_AUDIT_ACTION_H
#include <stdbool.h>
#include <stddef.h>

struct audit_action {
    const char *code, *zh, *en;
};

/* Subjects of the families: a list that exports (export.<code>), a kind that ingests
 * (<code>.ingest), or both. */
enum { AUDIT_FAM_EXPORT = 1, AUDIT_FAM_INGEST = 2 };
struct audit_subject {
    const char *code, *zh, *en;
    unsigned families;
};

/* The actions named one by one, and the subjects of the export/ingest families. */
extern const struct audit_action audit_actions[];
extern const size_t audit_actions_count;
extern const struct audit_subject audit_subjects[];
extern const size_t audit_subjects_count;

/* audit_action_name writes the name of code in the language asked (en = true: English) to
 * out (NUL-terminated, truncated to cap). false, with out = "", when code has no name. */
bool audit_action_name(const char *code, bool en, char *out, size_t cap);

#endif
