/* cli/cameras.c - the camera reconciliation from the shell (R3.8, R3.9):
 *   jiayuan cameras reconcile NETWORK.xlsx|.csv -o OUT.xlsx [--within 300] [--crs wgs84|gcj02|bd09]
 *       classify every camera ID of the surveyed toilets and of the network's device export
 *       (matched | conflict | only_survey | only_online), store the run, write OUT.xlsx
 *       (columns 国标编码, 核对结果, 距离(米), 公厕, 在线状态 …) and print the counts;
 *   jiayuan cameras bind RUN      bind a run's matched online cameras to their toilets;
 *   jiayuan cameras undo BATCH    undo a binding batch;
 *   jiayuan cameras probe [--id N] [--media-rw-timeout MS] [--media-probe-concurrency K] [--media-udp]
 *       one health pass (issue 9): probe the cameras with a stream URL, record online/offline
 *       on a change and the codec, print the counts (as the system actor "video").
 * The survey side is what `jiayuan toilets import` loaded. Runs as the operator ("cli").
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/alloc.h"
#include "core/err.h"
#include "domain/cameras/binding.h"
#include "core/str.h"
#include "domain/cameras/reconcile.h"

static const char usage_text[] =
    "usage: jiayuan cameras reconcile NETWORK.xlsx|.csv -o OUT.xlsx [--within 300] [--crs wgs84|gcj02|bd09]\n"
    "       jiayuan cameras bind RUN_ID\n"
    "       jiayuan cameras undo BATCH_ID\n"
    "       jiayuan cameras probe [--id N] [--media-rw-timeout MS] [--media-probe-concurrency K] [--media-udp]\n";

static int
cameras_probe(int argc, char **argv)
{
    static const char *const allowed[] = { "id", "var", "db", "keys", CLI_VIDEO_OPTS, NULL };
    static const char *const flags[] = { "media-udp", NULL };
    struct cli_args a;
    struct video_config cfg;
    struct video_probe_pass p;
    struct app app;
    int64_t id = 0;
    int rc;

    if ((rc = cli_parse(argc, argv, allowed, flags, &a)) || (rc = cli_video_config(&a, &cfg)))
        return rc;
    if (cli_opt(&a, "id") && cstr_to_i64(cli_opt(&a, "id"), &id, 1, INT64_MAX)) {
        fprintf(stderr, "jiayuan: --id must be a camera id\n");
        return 2;
    }
    if (cli_app_open(&app, &a, CLI_OPEN_KEYS, 1))
        return 1;
    rc = video_health_pass(&app, &cfg, id, &p);
    cli_app_close(&app);
    if (rc) {
        fprintf(stderr, "jiayuan: probe failed (%s)\n", rc == ERR_NOT_FOUND ? "no such camera with a stream" : err_name(rc));
        return 1;
    }
    printf("probed=%zu online=%zu offline=%zu changed=%zu\n", p.probed, p.online, p.offline, p.changed);
    return 0;
}

static int
cameras_reconcile(struct app *app, struct db *db, const struct actor *who, const struct cli_args *a,
                  const char *in, const char *out)
{
    const char *s = cli_opt(a, "within"), *crs_name = cli_opt(a, "crs");
    int64_t within = (int64_t)RECONCILE_WITHIN_DEFAULT;
    enum geo_crs crs = GEO_WGS84;
    struct table *t = NULL;
    struct buf why = BUF_INIT;
    struct reconcile_result res;
    int rc, status = 1;

    if (s && cstr_to_i64(s, &within, 1, (int64_t)RECONCILE_WITHIN_MAX)) {
        fprintf(stderr, "jiayuan: --within must be 1..%.0f metres\n", RECONCILE_WITHIN_MAX);
        return 2;
    }
    if (crs_name && geo_crs_parse(crs_name, &crs)) {
        fprintf(stderr, "jiayuan: --crs must be wgs84, gcj02 or bd09\n");
        return 2;
    }
    if ((rc = table_open_path(in, &t, &why))) {
        fprintf(stderr, "jiayuan: cannot read '%s' (%s): %s\n", in, err_name(rc), why.data);
        goto out;
    }
    if ((rc = reconcile_run(app, db, who, t, crs, (double)within, NULL, NULL, &res, &why))) {
        fprintf(stderr, "jiayuan: reconciliation failed (%s)%s%s\n", err_name(rc), why.len ? ": " : "", why.data);
        goto out;
    }
    if ((rc = reconcile_export(db, who, res.id, NULL, out))) {
        fprintf(stderr, "jiayuan: cannot write '%s' (%s)\n", out, err_name(rc));
        goto out;
    }
    printf("reconciliation %lld: within=%lld m devices=%llu rejected=%llu duplicates=%llu\n",
           (long long)res.id, (long long)within, (unsigned long long)res.devices,
           (unsigned long long)res.rejected, (unsigned long long)res.duplicates);
    printf("matched=%llu conflict=%llu only_survey=%llu only_online=%llu\n",
           (unsigned long long)res.by_class[RECONCILE_MATCHED],
           (unsigned long long)res.by_class[RECONCILE_CONFLICT],
           (unsigned long long)res.by_class[RECONCILE_ONLY_SURVEY],
           (unsigned long long)res.by_class[RECONCILE_ONLY_ONLINE]);
    printf("written: %s\n", out);
    status = 0;
out:
    table_close(t);
    buf_release(&why);
    return status;
}

static int
cameras_bind(struct app *app, struct db *db, const struct actor *who, const char *arg, bool undo)
{
    int64_t id = 0;
    size_t n = 0;
    int64_t batch = 0;
    int rc;
    if (cstr_to_i64(arg, &id, 1, INT64_MAX)) {
        fprintf(stderr, "jiayuan: '%s' is not an id\n", arg);
        return 2;
    }
    rc = undo ? binding_batch_undo(app, db, who, id, &n) : reconcile_bind(app, db, who, id, &n, &batch);
    if (rc) {
        fprintf(stderr, "jiayuan: %s failed (%s)\n", undo ? "undo" : "bind", err_name(rc));
        return 1;
    }
    if (undo)
        printf("batch %lld undone: removed=%zu\n", (long long)id, n);
    else
        printf("reconciliation %lld bound: batch=%lld bound=%zu\n", (long long)id, (long long)batch, n);
    return 0;
}

int
cli_cameras(int argc, char **argv)
{
    static const char *const allowed[] = { "within", "crs", "out", "var", "db", "keys", NULL };
    const char *in = NULL, *out = NULL, *verb = argc >= 1 ? argv[0] : "";
    char **rest = xcalloc((size_t)argc + 1, sizeof *rest);
    int nrest = 0, status = 2;
    struct cli_args a;
    struct app app;
    bool app_open = false;
    struct actor who;
    struct db *db = NULL;

    if (strcmp(verb, "probe") == 0) {
        xfree(rest);
        return cameras_probe(argc - 1, argv + 1);
    }
    if (strcmp(verb, "reconcile") && strcmp(verb, "bind") && strcmp(verb, "undo"))
        goto usage;
    if (cli_split_args(argc - 1, argv + 1, allowed, &in, &out, rest, &nrest) ||
        cli_parse(nrest, rest, allowed, NULL, &a))
        goto out;
    if (!out)
        out = cli_opt(&a, "out");
    if (!in || (strcmp(verb, "reconcile") == 0 && !out))
        goto usage;
    status = 1;
    if (cli_app_open(&app, &a, CLI_OPEN_KEYS, 1))
        goto out;
    app_open = true;
    actor_system(&who, "cli");
    db = db_pool_get(app.pool);
    if (strcmp(verb, "reconcile") == 0)
        status = cameras_reconcile(&app, db, &who, &a, in, out);
    else
        status = cameras_bind(&app, db, &who, in, strcmp(verb, "undo") == 0);
    goto out;
usage:
    fputs(usage_text, stderr);
out:
    if (db)
        db_pool_put(app.pool, db);
    if (app_open)
        cli_app_close(&app);
    xfree(rest);
    return status;
}
