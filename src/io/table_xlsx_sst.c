/* io/table_xlsx_sst.c - the shared-string table of a workbook (R4.3, R4.5).
 *
 * Read once, whole, into a chunked arena (a sheet may refer to any string): each string is
 * a 2-byte length, the text and a NUL; a string over TABLE_MAX_CELL is kept as a tag and is
 * an error only if a cell uses it. Phonetic runs (rPh) are left out, rich-text runs joined.
 * Capped by TABLE_MAX_SST_COUNT and TABLE_MAX_SST_BYTES; the text is wiped when released.
 */
#include "io/table_xlsx.h"

#include <string.h>

#include "core/alloc.h"
#include "core/err.h"

/* ---- shared strings ------------------------------------------------------------------------- */

struct xlsx_sst_parse {
    struct xlsx__xml b;
    struct xlsx__sst *sst;
    bool in_si, capture, over;
    unsigned rph;
    struct buf cur;
};

static int
xlsx_sst_add(struct xlsx__sst *s, const char *p, size_t n, bool over, struct xlsx__xml *b)
{
    size_t need = 2 + (over ? 0 : n) + 1;
    if (s->count == TABLE_MAX_SST_COUNT) {
        xlsx__xml_fail(b, ERR_TOO_LARGE, "the workbook has more than %zu shared strings",
                 TABLE_MAX_SST_COUNT);
        return ERR_TOO_LARGE;
    }
    if (!over && s->bytes + n > TABLE_MAX_SST_BYTES) {
        xlsx__xml_fail(b, ERR_TOO_LARGE, "the workbook's shared strings exceed %zu MiB",
                 TABLE_MAX_SST_BYTES >> 20);
        return ERR_TOO_LARGE;
    }
    size_t cap = s->nchunks == 1 ? s->first_cap : XLSX_SST_CHUNK;
    if (!s->nchunks || s->used + need > cap) {
        s->chunks = xrealloc(s->chunks, (s->nchunks + 1) * sizeof *s->chunks);
        s->chunks[s->nchunks] = xmalloc(s->nchunks == 0 ? s->first_cap : XLSX_SST_CHUNK);
        s->nchunks++;
        s->used = 0;
    }
    if (s->count == s->alloc) {
        s->alloc = s->alloc ? s->alloc * 2 : 1024;
        s->loc = xrealloc(s->loc, s->alloc * sizeof *s->loc);
    }
    char *at = s->chunks[s->nchunks - 1] + s->used;
    uint16_t len = over ? (uint16_t)XLSX_SST_OVERSIZED : (uint16_t)n;
    memcpy(at, &len, 2);
    if (!over && n)
        memcpy(at + 2, p, n);
    at[2 + (over ? 0 : n)] = '\0';
    s->loc[s->count++] = (uint32_t)((s->nchunks - 1) << XLSX_SST_SHIFT | s->used);
    s->used += need;
    s->bytes += over ? 0 : n;
    return 0;
}

/* xlsx__sst_get: 0 and *out, ERR_INVALID (no such string) or ERR_TOO_LARGE (over the cap). */
int
xlsx__sst_get(const struct xlsx__sst *s, uint64_t i, struct str *out)
{
    uint16_t len;
    if (i >= s->count)
        return ERR_INVALID;
    uint32_t loc = s->loc[i];
    const char *at = s->chunks[loc >> XLSX_SST_SHIFT] + (loc & (XLSX_SST_CHUNK - 1));
    memcpy(&len, at, 2);
    if (len == XLSX_SST_OVERSIZED)
        return ERR_TOO_LARGE;
    *out = (struct str){ at + 2, len };
    return 0;
}

void
xlsx__sst_release(struct xlsx__sst *s)
{
    for (size_t i = 0; i < s->nchunks; i++)     /* the last chunk is used up to s->used */
        xfree_secret(s->chunks[i], i + 1 == s->nchunks ? s->used
                                   : i == 0            ? s->first_cap
                                                       : XLSX_SST_CHUNK);
    xfree(s->chunks);
    xfree(s->loc);
    *s = (struct xlsx__sst){ 0 };
}

static void
xlsx_sst_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    struct xlsx_sst_parse *sp = ud;
    (void)atts;
    if (!xlsx__xml_enter(&sp->b))
        return;
    const char *local = xlsx__xml_local(name);
    if (!sp->in_si) {
        if (strcmp(local, "si") == 0) {
            sp->in_si = true;
            sp->over = sp->capture = false;
            sp->rph = 0;
            buf_reset(&sp->cur);
        }
    } else if (strcmp(local, "rPh") == 0) {
        sp->rph++;
    } else if (strcmp(local, "t") == 0 && sp->rph == 0) {
        sp->capture = true;
    }
}

static void
xlsx_sst_end(void *ud, const XML_Char *name)
{
    struct xlsx_sst_parse *sp = ud;
    sp->b.depth--;
    if (!sp->in_si)
        return;
    const char *local = xlsx__xml_local(name);
    if (strcmp(local, "t") == 0) {
        sp->capture = false;
    } else if (strcmp(local, "rPh") == 0) {
        if (sp->rph)
            sp->rph--;
    } else if (strcmp(local, "si") == 0) {
        size_t n = sp->over ? 0 : xlsx__xml_unescape(sp->cur.data, sp->cur.len);
        sp->in_si = false;
        (void)xlsx_sst_add(sp->sst, sp->cur.data, n, sp->over, &sp->b);
    }
}

static void
xlsx_sst_chars(void *ud, const XML_Char *s, int len)
{
    struct xlsx_sst_parse *sp = ud;
    if (!sp->capture || sp->over)
        return;
    if (sp->cur.len + (size_t)len > TABLE_MAX_CELL) {
        sp->over = true;                /* an error only if a cell of the sheet uses it */
        return;
    }
    buf_add(&sp->cur, s, (size_t)len);
}

int
xlsx__sst_read(struct table__xlsx *x, zip_int64_t index, struct buf *msg)
{
    struct xlsx_sst_parse sp = { 0 };
    zip_stat_t zs;
    int rc;

    /* A small table gets a small first chunk: the part's size bounds its text. */
    zip_stat_init(&zs);
    x->sst.first_cap = XLSX_SST_CHUNK;
    if (zip_stat_index(x->zip, (zip_uint64_t)index, 0, &zs) == 0 && (zs.valid & ZIP_STAT_SIZE) &&
        zs.size + 3 * (TABLE_MAX_CELL + 3) < XLSX_SST_CHUNK)
        x->sst.first_cap = (size_t)zs.size + 3 * (TABLE_MAX_CELL + 3);
    sp.sst = &x->sst;
    buf_init(&sp.cur, TABLE_MAX_CELL + 1);
    xlsx__xml_new(&sp.b, xlsx_sst_start, xlsx_sst_end, xlsx_sst_chars);
    rc = xlsx__parse_member(x, index, "shared strings", &sp.b, msg);
    xlsx__xml_free(&sp.b);
    buf_release_secret(&sp.cur);
    return rc;
}
