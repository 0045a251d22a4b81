/* cli/demo.c - `jiayuan demo --scale small|medium|district|city [--seed N] [--max-samples N]`: load the synthetic
 * district (demo/demo.h) into the configured database, with a progress line. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/err.h"
#include "core/str.h"
#include "core/time.h"
#include "demo/demo.h"

static void
demo_cli_progress(const char *phase, double done, void *arg)
{
    const int64_t *t0 = arg;
    if (!isatty(STDERR_FILENO) && done < 1.0)
        return;
    fprintf(stderr, "\r%-8s %5.1f%%  %6.1f s", phase, done * 100.0, (double)(time_mono_us() - *t0) / 1e6);
    if (done >= 1.0)
        fputc('\n', stderr);
}

int
cli_demo(int argc, char **argv)
{
    static const char *const allowed[] = { "scale", "seed", "max-samples", "var", "db", "keys", NULL };
    struct cli_args a;
    struct app app;
    struct demo_params p;
    int64_t seed = 1, max_samples = 0, t0 = time_mono_us();
    int rc;

    if ((rc = cli_parse(argc, argv, allowed, NULL, &a)))
        return rc;
    if (cli_opt(&a, "seed") && cstr_to_i64(cli_opt(&a, "seed"), &seed, 0, INT64_MAX)) {
        fprintf(stderr, "jiayuan: --seed must be a whole number\n");
        return 2;
    }
    if (demo_scale(cli_opt(&a, "scale") ? cli_opt(&a, "scale") : "small", (uint64_t)seed, &p)) {
        fprintf(stderr, "usage: jiayuan demo --scale small|medium|district|city [--seed N] [--max-samples N]\n");
        return 2;
    }
    if (cli_opt(&a, "max-samples") && cstr_to_i64(cli_opt(&a, "max-samples"), &max_samples, 1, INT64_MAX)) {
        fprintf(stderr, "jiayuan: --max-samples must be a positive whole number\n");
        return 2;
    }
    p.max_samples = (size_t)max_samples; /* a measured fraction of a big scale (issue 13) */
    if (cli_app_open(&app, &a, CLI_OPEN_KEYS, 1))
        return 1;
    struct db *db = db_pool_get(app.pool);
    rc = demo_generate(&app, db, &p, demo_cli_progress, &t0);
    db_pool_put(app.pool, db);
    cli_app_close(&app);
    if (rc == ERR_CONFLICT) {
        fprintf(stderr, "jiayuan: demo data is already loaded in this database\n");
        return 1;
    }
    if (rc) {
        fprintf(stderr, "jiayuan: loading the demo district failed (%s)\n", err_name(rc));
        return 1;
    }
    printf("demo district loaded: %zu residents, %zu sites, %zu rounds in %.1f s\n", p.residents,
           p.sites_per_subdistrict * 15, p.days, (double)(time_mono_us() - t0) / 1e6);
    if (p.max_samples)
        printf("stopped at --max-samples %zu\n", p.max_samples);
    return 0;
}
