/* cli/batch.c - `jiayuan batch IN.xlsx|IN.csv -o OUT.xlsx [--days N] [--window N]
 * [--threads N]`: the batch test-result lookup (domain/batch/batch.h) run offline against the
 * configured database, written to an .xlsx with the user's columns kept and 状态 plus the
 * result columns appended (R4.3-R4.7). Not the HTTP batch service.
 *
 * The workbook is written with io/xlsxw.h, the writer the HTTP exports use too: the user's
 * cells as text, the repeated words of the appended columns as shared strings, deflated on
 * --threads cores; OUT (mode 0600) is the only file written, removed on failure.
 *
 * Prints the counts and the stage timings; a progress line on stderr when stderr is a
 * terminal.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/alloc.h"
#include "core/err.h"
#include "core/str.h"
#include "core/time.h"
#include "domain/batch/batch.h"
#include "io/xlsxw.h"

#define BATCH_CLI_SHEET "查询结果"

/* ---- the command ------------------------------------------------------------------- */

struct batch_cli {
    struct xlsxw *w;
    const char *out;
    unsigned threads;
    size_t width;              /* user columns (the widest input row) */
    int id_col;
    int days_count;
    int sheet;                 /* sheets begun */
    bool header_done;
    struct str *header;        /* width + BATCH_RESULT_COLS: the header row, for a new sheet */
    struct buf header_text;    /* its user cells, copied */
    char namebuf[32];
    struct xlsxw_cell *cells;  /* width + BATCH_RESULT_COLS */
    int64_t t0;
    bool tty;
};

/* batch_cli_widths sets the current sheet's column widths (before any of its rows). */
static int
batch_cli_widths(struct batch_cli *c)
{
    int rc = 0;
    for (size_t i = 0; !rc && i < c->width + BATCH_RESULT_COLS; i++) {
        double wdt = 10;
        if ((int)i == c->id_col)
            wdt = 21;
        else if (i >= c->width)
            wdt = i - c->width == BATCH_COL_SAMPLED_AT || i - c->width == BATCH_COL_TESTED_AT ? 20 : 14;
        rc = xlsxw_set_width(c->w, i, wdt);
    }
    return rc;
}

/* batch_cli_put writes c->cells[0..n) as the next row (header: in bold, kept for a further
 * sheet); at Excel's row limit the rows go on in a new sheet, under the header again. */
static int
batch_cli_put(struct batch_cli *c, size_t n, bool header)
{
    struct xlsxw_cell *cells = c->cells;
    int rc = header ? xlsxw_header(c->w, c->header, n) : xlsxw_row(c->w, cells, n);
    char name[40];

    if (rc != ERR_TOO_LARGE || xlsxw_rows(c->w) < XLSXW_MAX_ROWS || !c->header_done)
        return rc;
    snprintf(name, sizeof name, "%s%d", BATCH_CLI_SHEET, ++c->sheet);
    if ((rc = xlsxw_add_sheet(c->w, name)) || (rc = batch_cli_widths(c)) ||
        (rc = xlsxw_header(c->w, c->header, c->width + BATCH_RESULT_COLS)))
        return rc;
    return header ? 0 : xlsxw_row(c->w, cells, n);
}

/* batch_cli_header writes the header: the user's cells[0..ncells), then our names. */
static int
batch_cli_header(struct batch_cli *c, const struct str *cells, size_t ncells)
{
    size_t n = ncells < c->width ? ncells : c->width;
    size_t *offs = xcalloc(n ? n : 1, sizeof *offs);

    buf_reset(&c->header_text);
    for (size_t i = 0; i < n; i++) {
        offs[i] = c->header_text.len;
        buf_add(&c->header_text, cells[i].p, cells[i].n);
    }
    for (size_t i = 0; i < c->width; i++)
        c->header[i] = i < n ? (struct str){ c->header_text.data + offs[i], cells[i].n } : (struct str){ "", 0 };
    xfree(offs);
    if (buf_error(&c->header_text))
        return ERR_TOO_LARGE;
    c->header_done = true;
    return batch_cli_put(c, c->width + BATCH_RESULT_COLS, true);
}

static int
batch_cli_begin(void *arg, const struct batch_stats *st)
{
    struct batch_cli *c = arg;
    struct xlsxw_opts opts = { c->threads };
    struct str names[BATCH_RESULT_COLS];

    c->width = st->max_cells;
    c->id_col = st->cols.id;
    c->header = xcalloc(c->width + BATCH_RESULT_COLS, sizeof *c->header);
    c->cells = xcalloc(c->width + BATCH_RESULT_COLS, sizeof *c->cells);
    batch_col_names(c->days_count, names, c->namebuf, sizeof c->namebuf);
    for (size_t i = 0; i < BATCH_RESULT_COLS; i++)
        c->header[c->width + i] = names[i];
    c->sheet = 1;
    int rc = xlsxw_open(c->out, BATCH_CLI_SHEET, &opts, &c->w);
    return rc ? rc : batch_cli_widths(c);
}

static int
batch_cli_data(struct batch_cli *c, const struct batch_row *r)
{
    struct batch_text tb;
    struct str text[BATCH_RESULT_COLS];

    for (size_t i = 0; i < c->width; i++)
        c->cells[i] = i < r->ncells ? XLSXW_TEXT_CELL(r->cells[i]) : XLSXW_EMPTY_CELL;
    batch_row_text(r, &tb, text);
    for (size_t i = 0; i < BATCH_RESULT_COLS; i++) {
        struct xlsxw_cell *cell = &c->cells[c->width + i];
        if (i == BATCH_COL_COUNT && r->result)
            *cell = XLSXW_NUMBER_CELL((double)r->result->count);
        else if (i == BATCH_COL_SAMPLED_AT || i == BATCH_COL_TESTED_AT)
            *cell = XLSXW_TEXT_CELL(text[i]);
        else
            *cell = XLSXW_SHARED_CELL(text[i]); /* a few words repeated down the column */
    }
    return batch_cli_put(c, c->width + BATCH_RESULT_COLS, false);
}

static int
batch_cli_row(void *arg, const struct batch_row *r)
{
    struct batch_cli *c = arg;

    if (r->kind == BATCH_ROW_HEADER)
        return batch_cli_header(c, r->cells, r->ncells);
    if (r->kind == BATCH_ROW_TITLE) {
        size_t n = r->ncells < c->width ? r->ncells : c->width;
        for (size_t i = 0; i < n; i++)
            c->cells[i] = XLSXW_TEXT_CELL(r->cells[i]);
        return batch_cli_put(c, n, false);
    }
    int rc;
    if (!c->header_done && (rc = batch_cli_header(c, NULL, 0))) /* no header: name our columns */
        return rc;
    return batch_cli_data(c, r);
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
           "%.3f s on a second thread, finishing the .xlsx %.3f s); total %.3f s\n",
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

    c.header_text = (struct buf)BUF_INIT;
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
    c.out = out;
    c.threads = threads > 1 ? (unsigned)threads : 0;
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
    if (!rc && c.w && !c.header_done)
        rc = batch_cli_header(&c, NULL, 0); /* no data rows: still name the columns */
    if (rc) {
        fprintf(stderr, "jiayuan: batch lookup failed (%s)%s%s\n", err_name(rc), why.len ? ": " : "", why.data);
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
    st.t.write_us += pack_us; /* finishing the workbook is part of writing */
    st.t.total_us += pack_us;
    batch_cli_report(&st, pack_us, out);
    status = 0;
out:
    xlsxw_free(c.w);
    xfree(c.header);
    xfree(c.cells);
    if (db)
        db_pool_put(app.pool, db);
    if (app_open)
        cli_app_close(&app);
    buf_release(&why);
    buf_release(&c.header_text);
    xfree(rest);
    return status;
}
