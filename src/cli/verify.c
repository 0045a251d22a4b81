/* cli/verify.c - `jiayuan verify [--tags FILE]`: check the audit hash chain (S6), with
 * --tags also against the chain tags shipped off the host (domain/platform/audit_ship.h,
 * issue 12: catches a rewound head), and the embedded UI manifest (S2). Exit 1 when any is
 * broken. */
#include <stdbool.h>
#include <stdio.h>

#include "cli/cli.h"
#include "core/embedded.h"
#include "crypto/manifest.h"
#include "domain/platform/audit.h"
#include "domain/batch/batch_job.h"
#include "domain/platform/audit_ship.h"
#include "domain/testing/result.h"

/* verify_tags checks the shipped tag file; 0 when every tag matches, else 1 after saying
 * what differs. */
static int
verify_tags(struct db *db, const char *path)
{
    enum audit_tag_problem problem = AUDIT_TAG_OK;
    int64_t checked = 0, bad = 0;
    if (audit_tags_verify(db, path, &checked, &problem, &bad)) {
        printf("audit tags UNREADABLE: cannot read '%s'\n", path);
        return 1;
    }
    switch (problem) {
    case AUDIT_TAG_OK:
        printf("audit tags intact: %lld shipped tags match the database\n", (long long)checked);
        return 0;
    case AUDIT_TAG_MISSING:
        printf("audit tags BROKEN: entry %lld was shipped off the host but is not in the database"
               " (the chain was rewound or cut; %lld tags matched before it)\n",
               (long long)bad, (long long)checked);
        break;
    case AUDIT_TAG_DIFFERS:
        printf("audit tags BROKEN: entry %lld differs from the tag shipped off the host"
               " (rewritten; %lld tags matched before it)\n",
               (long long)bad, (long long)checked);
        break;
    case AUDIT_TAG_BAD_LINE:
        printf("audit tags BROKEN: line %lld of '%s' is not a tag line\n", (long long)bad, path);
        break;
    }
    return 1;
}

int
cli_verify(int argc, char **argv)
{
    static const char *const allowed[] = { "var", "db", "keys", "reanchor", "tags", NULL };
    static const char *const flags[] = { "reanchor", NULL };
    struct cli_args a;
    struct app app;
    struct actor who;
    int64_t checked = 0, broken = 0;
    const char *bad = NULL;
    int rc, status = 0;

    if ((rc = cli_parse(argc, argv, allowed, flags, &a)))
        return rc;
    if (cli_app_open(&app, &a, CLI_OPEN_KEYS, 1))
        return 1;
    struct db *db = db_pool_get(app.pool);
    if ((rc = audit_verify(db, &app.keys, &checked, &broken))) {
        fprintf(stderr, "jiayuan: cannot read the audit log\n");
        status = 1;
    } else if (broken > 0) {
        printf("audit chain BROKEN at entry %lld (%lld entries before it are intact)\n",
               (long long)broken, (long long)checked);
        status = 1;
    } else if (broken < 0) {
        printf("audit chain BROKEN: the newest entries were removed (%lld intact entries remain)\n",
               (long long)checked);
        status = 1;
    } else {
        printf("audit chain intact: %lld entries\n", (long long)checked);
    }
    bool tags_bad = cli_opt(&a, "tags") && verify_tags(db, cli_opt(&a, "tags"));
    int64_t sealed = 0;
    if (result_mac_backfill(&app.keys, db, &sealed)) {
        fprintf(stderr, "jiayuan: cannot give the results stored before migration 0025 their MAC\n");
        status = 1;
    } else if (sealed) {
        printf("results MACed: %lld stored before migration 0025\n", (long long)sealed);
    }
    if (batch_job_result_mac_backfill(&app.keys, db, &sealed)) {
        fprintf(stderr, "jiayuan: cannot give the batch results stored before migration 0028 their MAC\n");
        status = 1;
    } else if (sealed) {
        printf("batch results MACed: %lld stored before migration 0028\n", (long long)sealed);
    }
    if (tags_bad)
        status = 1;
    if (manifest_verify(embedded_ui, &bad)) {
        printf("UI manifest BROKEN at %s\n", bad);
        status = 1;
    } else {
        printf("UI manifest intact: %zu files\n", embedded_ui_count);
    }
    actor_system(&who, "cli");
    if (broken && cli_flag(&a, "reanchor")) {
        char finding[96];
        snprintf(finding, sizeof finding, "chain broken at %lld after %lld intact entries", (long long)broken,
                 (long long)checked);
        if (audit_reanchor(db, &app.keys, &who, finding)) {
            fprintf(stderr, "jiayuan: re-anchoring failed\n");
        } else {
            printf("audit head re-anchored; the finding is recorded in the chain. Keep a copy of the database\n"
                   "as it was for the investigation.\n");
            status = 0;
        }
    } else if (broken) {
        printf("appends are refused until an operator re-anchors: jiayuan verify --reanchor\n");
    } else {
        audit_record(db, &app.keys, &who, "audit.verify", "audit_log", tags_bad ? "broken" : "ok",
                     tags_bad ? "the database differs from the tags shipped off the host" : NULL);
    }
    db_pool_put(app.pool, db);
    cli_app_close(&app);
    return status;
}
