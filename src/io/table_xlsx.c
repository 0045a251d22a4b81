/* io/table_xlsx.c - the .xlsx row source of io/table.h: the package (R4.3, R4.4, R4.5).
 *
 * libzip opens the package (from a file or from memory); expat parses its XML parts. The
 * package relationships lead to the workbook, the workbook's sheet list and relationships
 * to the sheet parts, the shared strings (table_xlsx_sst.c) and the styles
 * (table_xlsx_styles.c); the workbook also says whether it counts dates from 1904. Rows
 * come from table_xlsx_sheet.c. The other pieces are listed in io/table_xlsx.h. This file
 * does not decide what a value means, nor which sheet is read (io/table.c does).
 */
#include "io/table_xlsx.h"

#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/err.h"

/* ---- relationships ---------------------------------------------------------------------- */

struct xlsx_rel {
    char *id, *type, *target;
};

struct xlsx_rels {
    struct xlsx__xml b;
    struct xlsx_rel *v;
    size_t n, alloc;
};

static void
xlsx_rels_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    struct xlsx_rels *r = ud;
    if (!xlsx__xml_enter(&r->b))
        return;
    if (strcmp(xlsx__xml_local(name), "Relationship") != 0)
        return;
    const char *id = xlsx__xml_attr(atts, "Id", false), *type = xlsx__xml_attr(atts, "Type", false);
    const char *target = xlsx__xml_attr(atts, "Target", false), *mode = xlsx__xml_attr(atts, "TargetMode", false);
    if (!id || !type || !target || (mode && strcmp(mode, "External") == 0))
        return;
    if (r->n == XLSX_MAX_RELS) {
        xlsx__xml_fail(&r->b, ERR_TOO_LARGE, "the workbook has more than %d relationships",
                 XLSX_MAX_RELS);
        return;
    }
    if (strlen(id) > TABLE_MAX_NAME || strlen(type) > TABLE_MAX_NAME ||
        strlen(target) > TABLE_MAX_NAME) {
        xlsx__xml_fail(&r->b, ERR_INVALID, "the workbook is damaged (a relationship is too long)");
        return;
    }
    if (r->n == r->alloc) {
        r->alloc = r->alloc ? r->alloc * 2 : 16;
        r->v = xrealloc(r->v, r->alloc * sizeof *r->v);
    }
    r->v[r->n++] = (struct xlsx_rel){ xstrdup(id), xstrdup(type), xstrdup(target) };
}

static void
xlsx_rels_release(struct xlsx_rels *r)
{
    for (size_t i = 0; i < r->n; i++) {
        xfree(r->v[i].id);
        xfree(r->v[i].type);
        xfree(r->v[i].target);
    }
    xfree(r->v);
    xlsx__xml_free(&r->b);
    *r = (struct xlsx_rels){ 0 };
}

/* xlsx_rels_read parses the relationships part name (absent: no relationships, *found
 * false). */
static int
xlsx_rels_read(struct table__xlsx *x, const char *name, struct xlsx_rels *r, bool *found,
               struct buf *msg)
{
    zip_int64_t idx = xlsx__locate(x, name);
    *found = idx >= 0;
    if (idx < 0)
        return 0;
    xlsx__xml_new(&r->b, xlsx_rels_start, xlsx__xml_end, xlsx__xml_no_chars);
    return xlsx__parse_member(x, idx, "relationships", &r->b, msg);
}

static bool
xlsx_has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

static const struct xlsx_rel *
xlsx_rel_by_type(const struct xlsx_rels *r, const char *suffix)
{
    for (size_t i = 0; i < r->n; i++)
        if (xlsx_has_suffix(r->v[i].type, suffix))
            return &r->v[i];
    return NULL;
}

/* xlsx_resolve writes the part name of target, relative to the folder of part base
 * ("xl/workbook.xml" -> "xl/"), into out: "/x" is absolute, "." and ".." are resolved. */
static void
xlsx_resolve(const char *base, const char *target, struct buf *out)
{
    buf_reset(out);
    if (target[0] == '/') {
        target++;
    } else {
        const char *slash = strrchr(base, '/');
        if (slash)
            buf_add(out, base, (size_t)(slash - base + 1));
    }
    while (*target) {
        const char *end = strchr(target, '/');
        size_t n = end ? (size_t)(end - target) : strlen(target);
        if ((n == 1 && target[0] == '.') || n == 0) {
            /* skip */
        } else if (n == 2 && target[0] == '.' && target[1] == '.') {
            if (out->len)
                out->len--;                         /* the trailing '/' */
            while (out->len && out->data[out->len - 1] != '/')
                out->len--;
            if (out->alloc)
                out->data[out->len] = '\0';
        } else {
            buf_add(out, target, n);
            if (end)
                buf_addch(out, '/');
        }
        target += n + (end ? 1 : 0);
    }
}

/* xlsx_locate_target finds the member a relationship points at: resolved against base,
 * else (some generators write package-absolute targets without the leading '/') as
 * written. -1 when neither exists. */
static zip_int64_t
xlsx_locate_target(const struct table__xlsx *x, const char *base, const char *target,
                   struct buf *scratch)
{
    xlsx_resolve(base, target, scratch);
    zip_int64_t idx = xlsx__locate(x, scratch->data);
    return idx >= 0 ? idx : xlsx__locate(x, target);
}

/* ---- workbook ----------------------------------------------------------------------------- */

struct xlsx_wb_sheet {
    char *name, *rid;
    bool hidden;
};

struct xlsx_wb {
    struct xlsx__xml b;
    struct xlsx_wb_sheet *v;
    size_t n, alloc;
    bool date1904;
};

static void
xlsx_wb_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    struct xlsx_wb *w = ud;
    if (!xlsx__xml_enter(&w->b))
        return;
    const char *local = xlsx__xml_local(name);
    if (strcmp(local, "workbookPr") == 0) {
        const char *d = xlsx__xml_attr(atts, "date1904", false);
        w->date1904 = d && (strcmp(d, "1") == 0 || strcmp(d, "true") == 0);
        return;
    }
    if (strcmp(local, "sheet") != 0)
        return;
    const char *sname = xlsx__xml_attr(atts, "name", false), *rid = xlsx__xml_attr(atts, "id", true);
    const char *state = xlsx__xml_attr(atts, "state", false);
    if (!sname || !rid) {
        xlsx__xml_fail(&w->b, ERR_INVALID, "the workbook is damaged (a sheet has no name or part)");
        return;
    }
    if (w->n == TABLE_MAX_SHEETS) {
        xlsx__xml_fail(&w->b, ERR_TOO_LARGE, "the workbook has more than %d sheets", TABLE_MAX_SHEETS);
        return;
    }
    if (strlen(sname) > TABLE_MAX_NAME || strlen(rid) > TABLE_MAX_NAME) {
        xlsx__xml_fail(&w->b, ERR_INVALID, "the workbook is damaged (a sheet name is too long)");
        return;
    }
    if (w->n == w->alloc) {
        w->alloc = w->alloc ? w->alloc * 2 : 8;
        w->v = xrealloc(w->v, w->alloc * sizeof *w->v);
    }
    w->v[w->n++] = (struct xlsx_wb_sheet){ xstrdup(sname), xstrdup(rid),
                                           state && strcmp(state, "visible") != 0 };
}

static void
xlsx_wb_release(struct xlsx_wb *w)
{
    for (size_t i = 0; i < w->n; i++) {
        xfree(w->v[i].name);
        xfree(w->v[i].rid);
    }
    xfree(w->v);
    xlsx__xml_free(&w->b);
    *w = (struct xlsx_wb){ 0 };
}

/* ---- entry points -------------------------------------------------------------------------- */

/* xlsx_sheets_build lists the workbook's worksheets that have a part, in workbook order. */
static int
xlsx_sheets_build(struct table__xlsx *x, const struct xlsx_wb *wb, const struct xlsx_rels *wbr,
                  const char *wbpart, struct buf *part, struct buf *msg)
{
    x->sheets = xcalloc(wb->n ? wb->n : 1, sizeof *x->sheets);
    for (size_t i = 0; i < wb->n; i++) {
        const struct xlsx_rel *rel = NULL;
        for (size_t k = 0; k < wbr->n && !rel; k++)
            if (strcmp(wbr->v[k].id, wb->v[i].rid) == 0)
                rel = &wbr->v[k];
        if (rel && !xlsx_has_suffix(rel->type, "/worksheet"))
            continue;                   /* chart sheets, dialog sheets: no cells */
        struct xlsx__sheet *s = &x->sheets[x->nsheets++];
        s->name = xstrdup(wb->v[i].name);
        s->hidden = wb->v[i].hidden;
        s->index = -1;
        if (rel)
            s->index = xlsx_locate_target(x, wbpart, rel->target, part);
        bool drop = s->index < 0;                   /* no part: nothing to read */
        for (size_t k = 0; k + 1 < x->nsheets && !drop; k++)
            drop = x->sheets[k].index == s->index;  /* one part listed twice: read once */
        if (drop) {
            xfree(s->name);
            x->nsheets--;
        }
    }
    if (wb->n && !x->nsheets) {
        buf_adds(msg, "the workbook is damaged (its sheets are missing)");
        return ERR_INVALID;
    }
    return 0;
}

/* xlsx_aux_read reads the part the workbook relates to with a type ending in suffix (the
 * shared strings, the styles) with read, when there is one; a relationship to a missing
 * part is damage. */
static int
xlsx_aux_read(struct table__xlsx *x, const struct xlsx_rels *wbr, const char *wbpart,
              const char *suffix, const char *label, struct buf *part, struct buf *msg,
              int (*read)(struct table__xlsx *, zip_int64_t, struct buf *))
{
    const struct xlsx_rel *rel = xlsx_rel_by_type(wbr, suffix);
    zip_int64_t idx;
    if (!rel)
        return 0;
    if ((idx = xlsx_locate_target(x, wbpart, rel->target, part)) < 0) {
        buf_printf(msg, "the workbook is damaged (its %s are missing)", label);
        return ERR_INVALID;
    }
    return read(x, idx, msg);
}

static int
xlsx_load(struct table__xlsx *x, struct buf *msg)
{
    struct xlsx_rels pkg = { 0 }, wbr = { 0 };
    struct xlsx_wb wb = { 0 };
    struct buf wbpart = BUF_INIT, part = BUF_INIT;
    zip_int64_t idx;
    bool found;
    int rc = ERR_INTERNAL;

    if (zip_get_num_entries(x->zip, 0) > TABLE_MAX_ZIP_ENTRIES) {
        buf_printf(msg, "the workbook has more than %d parts", TABLE_MAX_ZIP_ENTRIES);
        rc = ERR_TOO_LARGE;
        goto out;
    }
    /* The package relationships name the workbook part; xl/workbook.xml if they do not. */
    if ((rc = xlsx_rels_read(x, "_rels/.rels", &pkg, &found, msg)))
        goto out;
    const struct xlsx_rel *office = found ? xlsx_rel_by_type(&pkg, "/officeDocument") : NULL;
    if (office)
        xlsx_resolve("", office->target, &wbpart);
    else
        buf_adds(&wbpart, "xl/workbook.xml");
    if (xlsx_has_suffix(wbpart.data, ".bin")) {
        buf_adds(msg, "the file is an Excel binary workbook (.xlsb); save it as .xlsx and "
                      "upload again");
        rc = ERR_INVALID;
        goto out;
    }
    if ((idx = xlsx__locate(x, wbpart.data)) < 0) {
        buf_adds(msg, "the file is a zip archive, not an Excel workbook (.xlsx)");
        rc = ERR_INVALID;
        goto out;
    }
    xlsx__xml_new(&wb.b, xlsx_wb_start, xlsx__xml_end, xlsx__xml_no_chars);
    if ((rc = xlsx__parse_member(x, idx, "workbook", &wb.b, msg)))
        goto out;
    x->date1904 = wb.date1904;

    /* The workbook's relationships: sheets, shared strings, styles. */
    const char *slash = strrchr(wbpart.data, '/');
    size_t dirlen = slash ? (size_t)(slash - wbpart.data + 1) : 0;
    buf_add(&part, wbpart.data, dirlen);
    buf_adds(&part, "_rels/");
    buf_adds(&part, wbpart.data + dirlen);
    buf_adds(&part, ".rels");
    if ((rc = xlsx_rels_read(x, part.data, &wbr, &found, msg)))
        goto out;
    if (!found && wb.n) {
        buf_adds(msg, "the workbook is damaged (its relationships are missing)");
        rc = ERR_INVALID;
        goto out;
    }
    if ((rc = xlsx_sheets_build(x, &wb, &wbr, wbpart.data, &part, msg)) ||
        (rc = xlsx_aux_read(x, &wbr, wbpart.data, "/sharedStrings", "shared strings", &part, msg,
                            xlsx__sst_read)) ||
        (rc = xlsx_aux_read(x, &wbr, wbpart.data, "/styles", "styles", &part, msg,
                            xlsx__styles_read)))
        goto out;
    rc = 0;
out:
    xlsx_rels_release(&pkg);
    xlsx_rels_release(&wbr);
    xlsx_wb_release(&wb);
    buf_release(&wbpart);
    buf_release(&part);
    return rc;
}

static int
xlsx_open(zip_t *zip, struct table__xlsx **out, struct buf *msg)
{
    struct table__xlsx *x = xcalloc(1, sizeof *x);
    int rc;
    x->zip = zip;
    x->st.x = x;
    buf_init(&x->st.text, XLSX_ROW_TEXT_CAP);
    buf_init(&x->st.ftext, TABLE_MAX_CELL + 1);
    if ((rc = xlsx_load(x, msg))) {
        table__xlsx_free(x);
        return rc;
    }
    *out = x;
    return 0;
}

int
table__xlsx_open_fd(int fd, struct table__xlsx **out, struct buf *msg)
{
    int code = 0;
    zip_t *zip;
    *out = NULL;
    if (!(zip = zip_fdopen(fd, ZIP_RDONLY, &code))) {
        zip_error_t ze;
        zip_error_init_with_code(&ze, code);
        xlsx__zip_message(msg, &ze);
        zip_error_fini(&ze);
        close(fd);
        return ERR_INVALID;
    }
    return xlsx_open(zip, out, msg);
}

/* xlsx_open_source opens the package from src (a libzip source; NULL: its creation failed
 * with ze). */
static int
xlsx_open_source(zip_source_t *src, zip_error_t *ze, struct table__xlsx **out, struct buf *msg)
{
    zip_t *zip;
    if (!src) {
        xlsx__zip_message(msg, ze);
        zip_error_fini(ze);
        return ERR_INVALID;
    }
    if (!(zip = zip_open_from_source(src, ZIP_RDONLY, ze))) {
        xlsx__zip_message(msg, ze);
        zip_error_fini(ze);
        zip_source_free(src);
        return ERR_INVALID;
    }
    zip_error_fini(ze);
    return xlsx_open(zip, out, msg);
}

int
table__xlsx_open_mem(const void *p, size_t n, struct table__xlsx **out, struct buf *msg)
{
    zip_error_t ze;
    *out = NULL;
    zip_error_init(&ze);
    return xlsx_open_source(zip_source_buffer_create(p, n, 0, &ze), &ze, out, msg);
}

int
table__xlsx_open_reader(const struct table_reader *r, struct table__xlsx **out, struct buf *msg)
{
    zip_error_t ze;
    *out = NULL;
    zip_error_init(&ze);
    return xlsx_open_source(xlsx__reader_source(r, &ze), &ze, out, msg);
}


size_t table__xlsx_sheet_count(const struct table__xlsx *x) { return x->nsheets; }
const char *table__xlsx_sheet_name(const struct table__xlsx *x, size_t i) { return x->sheets[i].name; }
bool table__xlsx_sheet_hidden(const struct table__xlsx *x, size_t i) { return x->sheets[i].hidden; }

int
table__xlsx_select(struct table__xlsx *x, size_t i, struct buf *msg)
{
    return xlsx__stream_start(x, x->sheets[i].index, msg);
}

int
table__xlsx_next(struct table__xlsx *x, struct table_row *row, struct buf *msg)
{
    return xlsx__stream_next(x, row, msg);
}

void
table__xlsx_free(struct table__xlsx *x)
{
    if (!x)
        return;
    xlsx__stream_close(&x->st);
    buf_release_secret(&x->st.text);
    buf_release_secret(&x->st.ftext);
    for (size_t i = 0; i < x->nsheets; i++)
        xfree(x->sheets[i].name);
    xfree(x->sheets);
    xlsx__sst_release(&x->sst);
    xlsx__styles_release(&x->styles);
    if (x->zip)
        zip_discard(x->zip);
    xfree(x);
}
