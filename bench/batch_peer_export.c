/* bench/batch_peer_export.c - the data the pandas peer of the batch benchmark works on
 * (bench/peer/batch_peer.py; issue 4 "Performance"): the samples and results of the last
 * DAYS days as two CSV files, the way an analyst would get them from a data export.
 *
 *   batch_peer_export --var DIR [--db URL] [--days 14] OUTDIR
 *
 * Writes OUTDIR/samples.csv (id_number, collected_at, tube_code, site: ID numbers opened,
 * IN CLEAR - the peer has no keys) and OUTDIR/results.csv (tube_code, tested_at,
 * institution, result), times in ms since the epoch, files mode 0600. bench/batch_bench
 * deletes them after the run. Not part of the product: the product never writes plaintext
 * ID numbers to disk.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/alloc.h"
#include "core/err.h"
#include "core/str.h"
#include "core/time.h"
#include "crypto/field.h"

static FILE *
open_0600(const char *dir, const char *name)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    return fd < 0 ? NULL : fdopen(fd, "w");
}

static void
csv_text(FILE *f, const char *s, size_t n)
{
    fputc('"', f);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"')
            fputc('"', f);
        fputc(s[i], f);
    }
    fputc('"', f);
}

int
main(int argc, char **argv)
{
    static const char *const allowed[] = { "var", "db", "keys", "days", NULL };
    static const char sql_samples[] =
        "SELECT s.id_number, s.collected_at, s.tube_code, t.name FROM samples s JOIN sites t ON t.id = s.site_id"
        " WHERE s.deleted_at = 0 AND s.collected_at >= ?1";
    static const char sql_results[] = "SELECT tube_code, tested_at, institution, result FROM results";
    struct cli_args a;
    struct app app;
    struct db_stmt *st = NULL;
    int64_t days = 14;
    bool row = false;
    size_t ns = 0, nr = 0, bad = 0;
    int rc;

    if (argc < 2 || (rc = cli_parse(argc - 2, argv + 1, allowed, NULL, &a)) ||
        (cli_opt(&a, "days") && cstr_to_i64(cli_opt(&a, "days"), &days, 1, 90))) {
        fprintf(stderr, "usage: batch_peer_export --var DIR [--db URL] [--days 14] OUTDIR\n");
        return 2;
    }
    const char *outdir = argv[argc - 1];
    if (cli_app_open(&app, &a, CLI_OPEN_KEYS, 1))
        return 1;
    struct db *db = db_pool_get(app.pool);
    FILE *fs = open_0600(outdir, "samples.csv"), *fr = open_0600(outdir, "results.csv");
    if (!fs || !fr) {
        fprintf(stderr, "batch_peer_export: cannot write into %s\n", outdir);
        return 1;
    }
    fputs("id_number,collected_at,tube_code,site\n", fs);
    if ((rc = db_prepare(db, sql_samples, &st)) || (rc = db_bind_i64(st, 1, time_now_ms() - days * 86400000LL)))
        goto fail;
    while (!(rc = db_step(st, &row)) && row) {
        size_t n = 0, tn = 0, sn = 0;
        const uint8_t *blob = db_col_blob(st, 0, &n);
        uint8_t id[64];
        size_t idn = 0;
        if (!blob || field_open(&app.keys, "samples.id_number", blob, n, id, sizeof id, &idn)) {
            bad++;
            continue;
        }
        const char *tube = db_col_text(st, 2, &tn), *site = db_col_text(st, 3, &sn);
        fprintf(fs, "%.*s,%lld,", (int)idn, (const char *)id, (long long)db_col_i64(st, 1));
        csv_text(fs, tube ? tube : "", tn);
        fputc(',', fs);
        csv_text(fs, site ? site : "", sn);
        fputc('\n', fs);
        ns++;
    }
    db_done(st);
    st = NULL;
    if (rc)
        goto fail;
    fputs("tube_code,tested_at,institution,result\n", fr);
    if ((rc = db_prepare(db, sql_results, &st)))
        goto fail;
    while (!(rc = db_step(st, &row)) && row) {
        size_t tn = 0, in = 0, rn = 0;
        const char *tube = db_col_text(st, 0, &tn), *inst = db_col_text(st, 2, &in), *res = db_col_text(st, 3, &rn);
        csv_text(fr, tube ? tube : "", tn);
        fprintf(fr, ",%lld,", (long long)db_col_i64(st, 1));
        csv_text(fr, inst ? inst : "", in);
        fputc(',', fr);
        csv_text(fr, res ? res : "", rn);
        fputc('\n', fr);
        nr++;
    }
    db_done(st);
    st = NULL;
    if (rc)
        goto fail;
    if (fclose(fs) || fclose(fr)) {
        fprintf(stderr, "batch_peer_export: writing failed\n");
        return 1;
    }
    db_pool_put(app.pool, db);
    cli_app_close(&app);
    printf("exported samples=%zu results=%zu unreadable=%zu\n", ns, nr, bad);
    return 0;
fail:
    db_done(st);
    fprintf(stderr, "batch_peer_export: %s\n", err_name(rc));
    return 1;
}
