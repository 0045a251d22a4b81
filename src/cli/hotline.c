/* cli/hotline.c - `jiayuan hotline import TICKETS.xlsx|.csv` stores the tickets of a sheet
 * (domain/exchange/hotline_store.h: caller, phone and address sealed, a re-import stores nothing
 * twice) and prints the counts and each rejected row (row, ticket number, reason).
 * `jiayuan hotline extract TICKETS.xlsx|.csv --rule 'EXPR' [--category PATH]...
 * [--synonyms FILE] -o OUT.xlsx` (R2.12, the interface contract of issue 11): write the
 * tickets under any of the categories whose title + content match EXPR, one row each, the
 * caller's name and phone masked (domain/exchange/hotline_extract.h). Reads files only:
 * no database, nothing stored. Prints the counts; exit 0, 1 (cannot read/write, bad rule),
 * 2 (usage).
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "core/alloc.h"
#include "core/err.h"
#include "domain/exchange/hotline_extract.h"
#include "domain/exchange/hotline_store.h"
#include "io/xlsxw.h"

#define HOTLINE_USAGE                                                                             \
    "usage: jiayuan hotline extract TICKETS.xlsx|.csv --rule 'EXPR' [--category PATH]... "       \
    "[--synonyms FILE] -o OUT.xlsx\n"                                                          \
    "       jiayuan hotline import TICKETS.xlsx|.csv [--var DIR] [--db URL]\n"

static int
hotline_cli_hit(void *ctx, const struct hotline_ticket *t)
{
    return hotline_hits_xlsx_row(ctx, t);
}

/* hotline_cli_synonyms reads the synonym file at path into syn (1 after a message). */
static int
hotline_cli_synonyms(const char *path, struct hotline_synonyms *syn)
{
    struct buf text = BUF_INIT, why = BUF_INIT;
    char chunk[4096];
    size_t n;
    int status = 1;
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "jiayuan: cannot read '%s'\n", path);
        return 1;
    }
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0 && text.len <= HOTLINE_SYN_MAX_TEXT)
        buf_add(&text, chunk, n);
    fclose(f);
    if (hotline_synonyms_parse((struct str){ text.data, text.len }, syn, &why))
        fprintf(stderr, "jiayuan: %s\n", why.data);
    else
        status = 0;
    buf_release(&text);
    buf_release(&why);
    return status;
}

static int
hotline_extract_cmd(int argc, char **argv)
{
    static const char *const allowed[] = { "rule", "category", "synonyms", "out", "var", "db", NULL };
    const char *in = NULL, *out = NULL, *expr = NULL, *syn_path = NULL;
    const char *cats[HOTLINE_MAX_CATEGORIES];
    size_t ncats = 0;
    char **rest = xcalloc((size_t)argc + 1, sizeof *rest);
    int nrest = 0, status = 2, rc;
    struct cli_args a;
    struct table *t = NULL;
    struct xlsxw *w = NULL;
    struct hotline_rule *rule = NULL;
    struct hotline_synonyms syn = HOTLINE_SYNONYMS_INIT;
    struct hotline_extract_counts c;
    struct buf why = BUF_INIT;

    if (cli_split_args(argc, argv, allowed, &in, &out, rest, &nrest) ||
        cli_parse(nrest, rest, allowed, NULL, &a))
        goto out;
    for (int i = 0; i < a.n; i++) {
        if (strcmp(a.names[i], "category") != 0)
            continue;
        if (ncats == HOTLINE_MAX_CATEGORIES) {
            fprintf(stderr, "jiayuan: at most %d --category\n", HOTLINE_MAX_CATEGORIES);
            goto out;
        }
        cats[ncats++] = a.values[i];
    }
    if (!out)
        out = cli_opt(&a, "out");
    expr = cli_opt(&a, "rule");
    syn_path = cli_opt(&a, "synonyms");
    if (!in || !out || !expr) {
        fputs(HOTLINE_USAGE, stderr);
        goto out;
    }
    status = 1;
    if (syn_path && hotline_cli_synonyms(syn_path, &syn))
        goto out;
    if ((rc = hotline_rule_compile(str_of(expr), &syn, &rule, &why))) {
        fprintf(stderr, "jiayuan: %s\n", why.data);
        goto out;
    }
    if ((rc = table_open_path(in, &t, &why))) {
        fprintf(stderr, "jiayuan: cannot read '%s' (%s): %s\n", in, err_name(rc), why.data);
        goto out;
    }
    if ((rc = hotline_hits_xlsx_open(XLSXW_PATH(out), &w))) {
        fprintf(stderr, "jiayuan: cannot write '%s' (%s)\n", out, err_name(rc));
        goto out;
    }
    rc = hotline_extract(t, rule, cats, ncats, hotline_cli_hit, w, &c, &why);
    rc = xlsxw_finish(w, rc);
    w = NULL;
    if (rc) {
        fprintf(stderr, "jiayuan: extract failed (%s)%s%s\n", err_name(rc), why.len ? ": " : "", why.data);
        goto out;
    }
    buf_reset(&why);
    hotline_rule_describe(rule, &why);
    printf("rule: %s\n", why.data);
    printf("header_row=%llu tickets=%llu no_number=%llu in_category=%llu matched=%llu\n",
           (unsigned long long)c.header_row, (unsigned long long)c.tickets,
           (unsigned long long)c.no_number, (unsigned long long)c.in_category,
           (unsigned long long)c.matched);
    printf("hits: %s\n", out);
    status = 0;
out:
    xlsxw_free(w);
    table_close(t);
    hotline_rule_free(rule);
    hotline_synonyms_release(&syn);
    buf_release(&why);
    xfree(rest);
    return status;
}

static int
hotline_import_run(struct cli_sheet *s, void *arg)
{
    struct hotline_import_result res;
    int rc;

    (void)arg;
    memset(&res, 0, sizeof res);
    if ((rc = hotline_import(&s->app, s->db, &s->who, s->table, &res, &s->why))) {
        hotline_import_result_release(&res);
        return cli_sheet_failed(s, "import", rc);
    }
    printf("header_row=%llu rows=%llu accepted=%llu duplicate=%llu rejected=%llu\n",
           (unsigned long long)res.header_row, (unsigned long long)res.rows, (unsigned long long)res.accepted,
           (unsigned long long)res.duplicate, (unsigned long long)res.rejected);
    for (size_t i = 0; i < res.nrejects; i++)
        printf("row %llu %s: %s\n", (unsigned long long)res.rejects[i].row, res.rejects[i].number,
               res.rejects[i].reason);
    hotline_import_result_release(&res);
    return 0;
}

static const struct cli_sheet_cmd hotline_import_cmd = {
    .usage = HOTLINE_USAGE, .flags = CLI_SHEET_TABLE, .run = hotline_import_run,
};

int
cli_hotline(int argc, char **argv)
{
    if (argc >= 1 && strcmp(argv[0], "import") == 0)
        return cli_sheet_main(&hotline_import_cmd, argc - 1, argv + 1, NULL);
    if (argc >= 1 && strcmp(argv[0], "extract") == 0)
        return hotline_extract_cmd(argc - 1, argv + 1);
    fputs(HOTLINE_USAGE, stderr);
    return 2;
}
