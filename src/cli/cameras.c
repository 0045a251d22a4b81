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

struct reconcile_opts {
    int64_t within;
    enum geo_crs crs;
};

static int
cameras_reconcile_check(struct cli_sheet *s, void *arg)
{
    struct reconcile_opts *o = arg;
    const char *within = cli_opt(&s->args, "within");
    if (within && cstr_to_i64(within, &o->within, 1, (int64_t)RECONCILE_WITHIN_MAX)) {
        fprintf(stderr, "jiayuan: --within must be 1..%.0f metres\n", RECONCILE_WITHIN_MAX);
        return 2;
    }
    return cli_opt_crs(&s->args, &o->crs, NULL);
}

static int
cameras_reconcile(struct cli_sheet *s, void *arg)
{
    const struct reconcile_opts *o = arg;
    struct reconcile_result res;
    int rc;

    if ((rc = reconcile_run(&s->app, s->db, &s->who, s->table, o->crs, (double)o->within, NULL, NULL, &res,
                            &s->why)))
        return cli_sheet_failed(s, "reconciliation", rc);
    if ((rc = reconcile_export(s->db, &s->who, res.id, NULL, XLSXW_PATH(s->out))))
        return cli_sheet_cannot_write(s, rc);
    printf("reconciliation %lld: within=%lld m devices=%llu rejected=%llu duplicates=%llu\n",
           (long long)res.id, (long long)o->within, (unsigned long long)res.devices,
           (unsigned long long)res.rejected, (unsigned long long)res.duplicates);
    printf("matched=%llu conflict=%llu only_survey=%llu only_online=%llu\n",
           (unsigned long long)res.by_class[RECONCILE_MATCHED],
           (unsigned long long)res.by_class[RECONCILE_CONFLICT],
           (unsigned long long)res.by_class[RECONCILE_ONLY_SURVEY],
           (unsigned long long)res.by_class[RECONCILE_ONLY_ONLINE]);
    printf("written: %s\n", s->out);
    return 0;
}

/* cameras_bind: `bind RUN_ID` (undo == NULL) or `undo BATCH_ID`; s->in is the id. */
static int
cameras_bind(struct cli_sheet *s, void *undo)
{
    int64_t id = 0;
    size_t n = 0;
    int64_t batch = 0;
    int rc;
    if (cstr_to_i64(s->in, &id, 1, INT64_MAX)) {
        fprintf(stderr, "jiayuan: '%s' is not an id\n", s->in);
        return 2;
    }
    rc = undo ? binding_batch_undo(&s->app, s->db, &s->who, id, &n)
              : reconcile_bind(&s->app, s->db, &s->who, id, &n, &batch);
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

static const struct cli_sheet_cmd reconcile_cmd = {
    .usage = usage_text, .options = (const char *const[]){ "within", "crs", NULL },
    .flags = CLI_SHEET_TABLE | CLI_SHEET_OUT_REQUIRED, .check = cameras_reconcile_check, .run = cameras_reconcile,
};
static const struct cli_sheet_cmd bind_cmd = { .usage = usage_text, .run = cameras_bind };

int
cli_cameras(int argc, char **argv)
{
    const char *verb = argc >= 1 ? argv[0] : "";
    if (strcmp(verb, "probe") == 0)
        return cameras_probe(argc - 1, argv + 1);
    if (strcmp(verb, "reconcile") == 0)
        return cli_sheet_main(&reconcile_cmd, argc - 1, argv + 1,
                              &(struct reconcile_opts){ (int64_t)RECONCILE_WITHIN_DEFAULT, GEO_WGS84 });
    if (strcmp(verb, "bind") == 0 || strcmp(verb, "undo") == 0)
        return cli_sheet_main(&bind_cmd, argc - 1, argv + 1, strcmp(verb, "undo") == 0 ? (void *)&bind_cmd : NULL);
    fputs(usage_text, stderr);
    return 2;
}
