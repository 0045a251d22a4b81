/* cli/batch.c - `jiayuan batch IN.xlsx|IN.csv -o OUT.xlsx [--days N] [--window N]
 * [--threads N]`: the batch test-result lookup (domain/batch.h) run offline against the
 * configured database, written to an .xlsx with the user's columns kept and 状态 plus the
 * result columns appended (R4.3-R4.7). Not the HTTP batch service.
 *
 * The output is written through io/xlsxw.h, whose temporary files (the rows in clear while
 * the workbook is built) live in the var directory and are unlinked at once; OUT itself is
 * created with mode 0600. Prints the counts and the stage timings; a progress line on
 * stderr when stderr is a terminal.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/alloc.h"
#include "core/err.h"
#include "core/str.h"
#include "core/time.h"
#include "domain/batch.h"
#include "io/xlsxw.h"

struct batch_cli {
    struct xlsxw *w;
    size_t width;              /* user columns (the widest input row) */
    struct xlsxw_cell *cells;  /* width + BATCH_RESULT_COLS */
    int days_count;
    bool header_done;
    int64_t t0;
    bool tty;
};

static int
batch_cli_user_cells(struct batch_cli *c, const struct batch_row *r)
{
    for (size_t i = 0; i < c->width; i++)
        c->cells[i] = i < r->ncells && r->cells[i].n ? XLSXW_TEXT_CELL(r->cells[i]) : XLSXW_EMPTY_CELL;
    return 0;
}

static int
batch_cli_header(struct batch_cli *c, const struct batch_row *r)
{
    struct str names[BATCH_RESULT_COLS], *all = xcalloc(c->width + BATCH_RESULT_COLS, sizeof *all);
    char namebuf[32];
    int rc;

    batch_col_names(c->days_count, names, namebuf, sizeof namebuf);
    for (size_t i = 0; i < c->width; i++)
        all[i] = r && i < r->ncells ? r->cells[i] : STR_LIT("");
    for (size_t i = 0; i < BATCH_RESULT_COLS; i++)
        all[c->width + i] = names[i];
    rc = xlsxw_header(c->w, all, c->width + BATCH_RESULT_COLS);
    xfree(all);
    c->header_done = true;
    return rc;
}

static int
batch_cli_begin(void *arg, const struct batch_stats *st)
{
    struct batch_cli *c = arg;
    c->width = st->max_cells;
    c->cells = xcalloc(c->width + BATCH_RESULT_COLS, sizeof *c->cells);
    /* the ID column stays readable; the result columns get room for a time */
    xlsxw_set_width(c->w, (size_t)st->cols.id, 21);
    for (size_t i = 0; i < BATCH_RESULT_COLS; i++)
        xlsxw_set_width(c->w, c->width + i, i == BATCH_COL_SAMPLED_AT || i == BATCH_COL_TESTED_AT ? 20 : 14);
    return 0;
}

static int
batch_cli_row(void *arg, const struct batch_row *r)
{
    struct batch_cli *c = arg;
    struct batch_text tb;
    struct str text[BATCH_RESULT_COLS];

    if (r->kind == BATCH_ROW_HEADER)
        return batch_cli_header(c, r);
    if (r->kind == BATCH_ROW_DATA && !c->header_done) {
        int rc = batch_cli_header(c, NULL); /* a sheet without a header: name our columns */
        if (rc)
            return rc;
    }
    batch_cli_user_cells(c, r);
    batch_row_text(r, &tb, text);
    for (size_t i = 0; i < BATCH_RESULT_COLS; i++)
        c->cells[c->width + i] = text[i].n ? XLSXW_TEXT_CELL(text[i]) : XLSXW_EMPTY_CELL;
    if (r->result)
        c->cells[c->width + BATCH_COL_COUNT] = XLSXW_NUMBER_CELL((double)r->result->count);
    return xlsxw_row(c->w, c->cells, c->width + BATCH_RESULT_COLS);
}

static int
batch_cli_progress(void *arg, const char *stage, uint64_t done, uint64_t total)
{
    struct batch_cli *c = arg;
    if (!c->tty)
        return 0;
    double s = (double)(time_mono_us() - c->t0) / 1e6;
    if (total)
        fprintf(stderr, "\r%-7s %5.1f%%  %7.1f s ", stage, 100.0 * (double)done / (double)total, s);
    else
        fprintf(stderr, "\r%-7s %9llu rows  %7.1f s ", stage, (unsigned long long)done, s);
    return 0;
}

static void
batch_cli_report(const struct batch_stats *st, int64_t pack_us, const char *out)
{
    const struct batch_counts *n = &st->counts;
    const struct batch_timings *t = &st->t;

    printf("rows %llu: valid %llu (found %llu, not found %llu, tested in %d days %llu), duplicate %llu, "
           "invalid %llu\n",
           (unsigned long long)n->rows, (unsigned long long)n->valid, (unsigned long long)n->found,
           (unsigned long long)n->not_found, st->days_window, (unsigned long long)n->tested,
           (unsigned long long)n->duplicate, (unsigned long long)n->invalid);
    printf("status:");
    for (int s = 0; s <= IDNO_NOT_AN_ID; s++)
        printf(" %s %llu", idno_status_code((enum idno_status)s), (unsigned long long)n->by_status[s]);
    printf("\nstages: read %.3f s, clean %.3f s, index %.3f s, lookup %.3f s, write %.3f s (re-reading the input "
           "%.3f s on a second thread, packing the .xlsx %.3f s); total %.3f s\n",
           (double)t->read_us / 1e6, (double)t->clean_us / 1e6, (double)t->index_us / 1e6,
           (double)t->lookup_us / 1e6, (double)t->write_us / 1e6, (double)t->reread_us / 1e6,
           (double)pack_us / 1e6, (double)t->total_us / 1e6);
    printf("lookup: samples read %zu, opened %zu, not matching %zu; thread time: fetching samples %.3f s, opening "
           "IDs %.3f s, fetching results %.3f s\n",
           st->samples_read, st->samples_opened, st->collisions, (double)st->fetch_us / 1e6,
           (double)st->open_us / 1e6, (double)st->results_us / 1e6);
    printf("input: ID column %d (%s), header row %llu\n", st->cols.id + 1, columns_rule_code(st->cols.id_rule),
           (unsigned long long)st->cols.header_row);
    printf("written: %s\n", out);
}

static int
batch_cli_int(const struct cli_args *a, const char *name, int64_t min, int64_t max, int64_t *v)
{
    const char *s = cli_opt(a, name);
    if (s && cstr_to_i64(s, v, min, max)) {
        fprintf(stderr, "jiayuan: --%s must be a whole number from %lld to %lld\n", name, (long long)min,
                (long long)max);
        return 2;
    }
    return 0;
}

int
cli_batch(int argc, char **argv)
{
    static const char *const allowed[] = { "days", "window", "threads", "out", "var", "db", "keys", NULL };
    const char *in = NULL, *out = NULL;
    char **rest = xcalloc((size_t)argc + 1, sizeof *rest);
    int nrest = 0, status = 1, rc;
    int64_t days = BATCH_DAYS_COUNT_DEFAULT, window = BATCH_DAYS_WINDOW_DEFAULT, threads = 0;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    struct cli_args a;
    struct app app;
    bool app_open = false;
    struct actor who;
    struct batch_source src;
    struct batch_table_state state;
    struct batch_stats st;
    struct buf why = BUF_INIT;
    struct batch_cli c = { 0 };
    struct db *db = NULL;

    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
            out = argv[++i];
        else if (argv[i][0] != '-' && !in)
            in = argv[i];
        else
            rest[nrest++] = argv[i];
    }
    if ((rc = cli_parse(nrest, rest, allowed, NULL, &a))) {
        status = rc;
        goto out;
    }
    if (!out)
        out = cli_opt(&a, "out");
    if (!in || !out) {
        fprintf(stderr, "usage: jiayuan batch IN.xlsx|IN.csv -o OUT.xlsx [--days N] [--window N] [--threads N] "
                        "[--var DIR] [--db URL]\n");
        status = 2;
        goto out;
    }
    if ((status = batch_cli_int(&a, "days", 1, BATCH_DAYS_MAX, &days)) ||
        (status = batch_cli_int(&a, "window", 1, BATCH_DAYS_MAX, &window)) ||
        (status = batch_cli_int(&a, "threads", 1, 16, &threads)))
        goto out;
    status = 1;
    if (!threads)
        threads = ncpu >= 2 ? 2 : 1;
    if (access(in, R_OK) != 0) {
        fprintf(stderr, "jiayuan: cannot read '%s'\n", in);
        goto out;
    }
    if (cli_app_open(&app, &a, CLI_OPEN_KEYS, (size_t)threads))
        goto out;
    app_open = true;
    actor_system(&who, "cli");
    db = db_pool_get(app.pool);
    struct xlsxw_opts wo = { app.var_dir };
    if ((rc = xlsxw_open(out, "查询结果", &wo, &c.w))) {
        fprintf(stderr, "jiayuan: cannot write '%s' (%s)\n", out, err_name(rc));
        goto out;
    }
    c.days_count = (int)days;
    c.t0 = time_mono_us();
    c.tty = isatty(STDERR_FILENO);
    batch_source_path(&src, &state, in);
    struct batch_opts opts = { (int)window, (int)days, 0, "cli", (unsigned)threads, app.pool };
    struct batch_sink sink = { batch_cli_begin, batch_cli_row, &c };
    struct batch_progress progress = { batch_cli_progress, &c };
    rc = batch_run(&app, db, &who, &src, &opts, &sink, &progress, &st, &why);
    if (c.tty)
        fputc('\n', stderr);
    if (!rc && !c.header_done)
        rc = batch_cli_header(&c, NULL); /* no data rows: still name the columns */
    if (rc) {
        xlsxw_free(c.w);
        c.w = NULL;
        fprintf(stderr, "jiayuan: batch lookup failed (%s)%s%s\n", err_name(rc), why.len ? ": " : "",
                why.data);
        goto out;
    }
    int64_t w0 = time_mono_us();
    rc = xlsxw_close(c.w);
    c.w = NULL;
    if (rc) {
        fprintf(stderr, "jiayuan: cannot write '%s' (%s)\n", out, err_name(rc));
        goto out;
    }
    int64_t pack_us = time_mono_us() - w0;
    st.t.write_us += pack_us; /* packing the workbook is part of writing */
    st.t.total_us += pack_us;
    batch_cli_report(&st, pack_us, out);
    status = 0;
out:
    xlsxw_free(c.w);
    xfree(c.cells);
    if (db)
        db_pool_put(app.pool, db);
    if (app_open)
        cli_app_close(&app);
    buf_release(&why);
    xfree(rest);
    return status;
}
