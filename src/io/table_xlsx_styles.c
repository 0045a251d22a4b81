/* io/table_xlsx_styles.c - which cell formats of a workbook are dates (R4.3, R4.5; issue 7).
 *
 * A date in a workbook is a number whose cell format (the s= of the cell, an index into
 * cellXfs of xl/styles.xml) has a date or time number format: a built-in one (14-22,
 * 27-36, 45-47, 50-58; 27-36 and 50-58 are the East Asian date formats) or a custom one
 * (numFmts) whose code has y, m, d, h or s outside quoted text, [brackets] (colours,
 * conditions, locales) and escaped or padded characters. Only cellXfs and numFmts are
 * read; fonts, fills and the rest are skipped. Capped by TABLE_MAX_STYLES_BYTES,
 * TABLE_MAX_XFS and TABLE_MAX_NUMFMTS. It does not convert values (table_xlsx_value.c).
 */
#include "io/table_xlsx.h"

#include <inttypes.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"

struct xlsx_fmt {
    uint32_t id;
    bool date;
};

struct xlsx_styles_parse {
    struct xlsx__xml b;         /* first: the parser's user data */
    bool in_xfs, in_fmts;
    unsigned xf_depth;          /* depth of cellXfs, so nested xf elements are not taken */
    uint32_t *xf_fmt;           /* numFmtId of each cellXfs entry */
    size_t nxf, xf_alloc;
    struct xlsx_fmt *fmts;      /* custom formats */
    size_t nfmts, fmts_alloc;
};

bool
xlsx__numfmt_is_date(uint32_t id, const char *code)
{
    if (!code)
        return (id >= 14 && id <= 22) || (id >= 27 && id <= 36) || (id >= 45 && id <= 47) ||
               (id >= 50 && id <= 58);
    for (const char *c = code; *c; c++) {
        switch (*c) {
        case '"':                                   /* quoted text */
            while (c[1] && c[1] != '"')
                c++;
            c += c[1] != '\0';
            break;
        case '[':                                   /* [Red], [$-804], [>100], [h] */
            while (c[1] && c[1] != ']')
                c++;
            c += c[1] != '\0';
            break;
        case '\\':                                  /* an escaped character */
        case '_':                                   /* padding as wide as the next one */
        case '*':                                   /* fill with the next one */
            c += c[1] != '\0';
            break;
        case ';':                                   /* the first section decides */
            return false;
        case 'y': case 'Y': case 'm': case 'M': case 'd': case 'D':
        case 'h': case 'H': case 's': case 'S':
            return true;
        default:
            break;
        }
    }
    return false;
}

static void
xlsx_styles_fmt(struct xlsx_styles_parse *sp, const XML_Char **atts)
{
    const char *id = xlsx__xml_attr(atts, "numFmtId", false);
    const char *code = xlsx__xml_attr(atts, "formatCode", false);
    uint64_t v;
    if (!id || !code || !xlsx__parse_u64(id, UINT32_MAX, &v))
        return;                                     /* unusable: as if absent */
    if (sp->nfmts == TABLE_MAX_NUMFMTS) {
        xlsx__xml_fail(&sp->b, ERR_TOO_LARGE, "the workbook has more than %d number formats",
                       TABLE_MAX_NUMFMTS);
        return;
    }
    if (sp->nfmts == sp->fmts_alloc) {
        sp->fmts_alloc = sp->fmts_alloc ? sp->fmts_alloc * 2 : 16;
        sp->fmts = xrealloc(sp->fmts, sp->fmts_alloc * sizeof *sp->fmts);
    }
    sp->fmts[sp->nfmts++] = (struct xlsx_fmt){ (uint32_t)v, xlsx__numfmt_is_date(0, code) };
}

static void
xlsx_styles_xf(struct xlsx_styles_parse *sp, const XML_Char **atts)
{
    const char *id = xlsx__xml_attr(atts, "numFmtId", false);
    uint64_t v = 0;
    if (sp->nxf == TABLE_MAX_XFS) {
        xlsx__xml_fail(&sp->b, ERR_TOO_LARGE, "the workbook has more than %d cell formats",
                       TABLE_MAX_XFS);
        return;
    }
    if (!id || !xlsx__parse_u64(id, UINT32_MAX, &v))
        v = 0;                                      /* General */
    if (sp->nxf == sp->xf_alloc) {
        sp->xf_alloc = sp->xf_alloc ? sp->xf_alloc * 2 : 64;
        sp->xf_fmt = xrealloc(sp->xf_fmt, sp->xf_alloc * sizeof *sp->xf_fmt);
    }
    sp->xf_fmt[sp->nxf++] = (uint32_t)v;
}

static void
xlsx_styles_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    struct xlsx_styles_parse *sp = ud;
    if (!xlsx__xml_enter(&sp->b))
        return;
    const char *local = xlsx__xml_local(name);
    if (strcmp(local, "cellXfs") == 0 && !sp->in_xfs) {
        sp->in_xfs = true;
        sp->xf_depth = sp->b.depth;
    } else if (strcmp(local, "numFmts") == 0) {
        sp->in_fmts = true;
    } else if (sp->in_xfs && sp->b.depth == sp->xf_depth + 1 && strcmp(local, "xf") == 0) {
        xlsx_styles_xf(sp, atts);
    } else if (sp->in_fmts && strcmp(local, "numFmt") == 0) {
        xlsx_styles_fmt(sp, atts);
    }
}

static void
xlsx_styles_end(void *ud, const XML_Char *name)
{
    struct xlsx_styles_parse *sp = ud;
    const char *local = xlsx__xml_local(name);
    if (sp->in_xfs && sp->b.depth == sp->xf_depth && strcmp(local, "cellXfs") == 0)
        sp->in_xfs = false;
    else if (strcmp(local, "numFmts") == 0)
        sp->in_fmts = false;
    sp->b.depth--;
}

/* xlsx_styles_resolve fills s->date from the formats collected: a custom format with the
 * id of a built-in one replaces it (the last definition of an id wins). */
static void
xlsx_styles_resolve(const struct xlsx_styles_parse *sp, struct xlsx__styles *s)
{
    s->n = sp->nxf;
    s->date = xcalloc(sp->nxf ? sp->nxf : 1, sizeof *s->date);
    for (size_t i = 0; i < sp->nxf; i++) {
        uint32_t id = sp->xf_fmt[i];
        bool date = xlsx__numfmt_is_date(id, NULL);
        for (size_t k = sp->nfmts; k-- > 0;)
            if (sp->fmts[k].id == id) {
                date = sp->fmts[k].date;
                break;
            }
        s->date[i] = date;
    }
}

int
xlsx__styles_read(struct table__xlsx *x, zip_int64_t index, struct buf *msg)
{
    struct xlsx_styles_parse sp = { 0 };
    zip_stat_t zs;
    int rc;

    zip_stat_init(&zs);
    if (zip_stat_index(x->zip, (zip_uint64_t)index, 0, &zs) == 0 && (zs.valid & ZIP_STAT_SIZE) &&
        zs.size > TABLE_MAX_STYLES_BYTES) {
        buf_printf(msg, "the workbook's styles exceed %" PRIu64 " MiB",
                   TABLE_MAX_STYLES_BYTES >> 20);
        return ERR_TOO_LARGE;
    }
    xlsx__xml_new(&sp.b, xlsx_styles_start, xlsx_styles_end, xlsx__xml_no_chars);
    if (!(rc = xlsx__parse_member(x, index, "styles", &sp.b, msg)))
        xlsx_styles_resolve(&sp, &x->styles);
    xlsx__xml_free(&sp.b);
    xfree(sp.xf_fmt);
    xfree(sp.fmts);
    return rc;
}

bool
xlsx__styles_is_date(const struct xlsx__styles *s, uint64_t xf)
{
    return xf < s->n && s->date[xf];
}

void
xlsx__styles_release(struct xlsx__styles *s)
{
    xfree(s->date);
    *s = (struct xlsx__styles){ 0 };
}
