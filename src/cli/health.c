/* cli/health.c - `jiayuan health import EPI.xlsx|.csv`: load a sheet of 流调 records from the
 * health commission (issue 11, R2.13) with domain/exchange/health_import.h, print the
 * counts and each rejected row (sheet row, record number, field, reason: never personal
 * data). Re-importing the same sheet stores nothing twice (accepted=0).
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/err.h"
#include "domain/exchange/health_import.h"

#define HEALTH_USAGE "usage: jiayuan health import EPI.xlsx|.csv\n"

/* health_read_file reads path into b (at most HEALTH_IMPORT_MAX_BYTES). */
static int
health_read_file(const char *path, struct buf *b)
{
    char chunk[65536];
    size_t n;
    FILE *f = fopen(path, "rb");
    if (!f)
        return ERR_IO;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (b->len + n > HEALTH_IMPORT_MAX_BYTES) {
            fclose(f);
            return ERR_TOO_LARGE;
        }
        buf_add(b, chunk, n);
    }
    n = (size_t)ferror(f);
    fclose(f);
    return n ? ERR_IO : 0;
}

static int
health_import_run(struct cli_sheet *s, void *arg)
{
    struct buf file = BUF_INIT;
    struct health_import_result res = { 0 };
    int rc;

    (void)arg;
    if ((rc = health_read_file(s->in, &file))) {
        fprintf(stderr, "jiayuan: cannot read '%s' (%s)\n", s->in, err_name(rc));
        buf_release_secret(&file);
        return 1;
    }
    rc = health_import_mem(&s->app, s->db, &s->who, file.data, file.len, &res, &s->why);
    buf_release_secret(&file);
    if (rc) {
        health_import_result_release(&res);
        return cli_sheet_failed(s, "import", rc);
    }
    printf("records=%zu accepted=%zu duplicate=%zu rejected=%zu\n", res.n, res.accepted, res.duplicate,
           res.rejected);
    for (size_t i = 0; i < res.n; i++)
        if (!strcmp(res.rows[i].status, "rejected"))
            printf("row %llu %s: %s: %s\n", (unsigned long long)res.rows[i].row, res.rows[i].external_id,
                   res.rows[i].field, res.rows[i].reason);
    health_import_result_release(&res);
    return 0;
}

static const struct cli_sheet_cmd health_import_cmd = { .usage = HEALTH_USAGE, .run = health_import_run };

int
cli_health(int argc, char **argv)
{
    if (argc >= 1 && strcmp(argv[0], "import") == 0)
        return cli_sheet_main(&health_import_cmd, argc - 1, argv + 1, NULL);
    fputs(HEALTH_USAGE, stderr);
    return 2;
}
