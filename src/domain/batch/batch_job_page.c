/* domain/batch/batch_job_page.c - a batch's stored rows (R4.3-R4.7, S1): the sealed-cells
 * format (a JSON array of the row's original cells, written with json_escape and read with
 * the small decoder below rather than jansson, so every plaintext byte lives in buffers this
 * file wipes) and the pages read back and opened for the engine and the export (see
 * batch_job_int.h). Not the storing of an upload (batch_job.c).
 */
#include "domain/batch/batch_job_int.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"
#include "core/json_escape.h"
#include "core/log.h"
#include "crypto/field.h"
#include "domain/platform/audit.h"

static const char sql_page_rows[] =
    "SELECT row_no, num, cells FROM batch_rows WHERE batch_id = ?1 AND row_no >= ?2 ORDER BY row_no LIMIT ?3";
/* The results of a page's rows, read apart from the rows and merged by row_no: a join
 * of the two tables, paged, leaves PostgreSQL's planner sorting all of a fresh batch's
 * results for every page (statistics say the table is empty). */
static const char sql_page_results[] =
    "SELECT row_no, status, first_num, found, tested, tests, sampled_at, tested_at, institution, result,"
    " site_code, site_name, damaged, mac, mac_key FROM batch_results WHERE batch_id = ?1 AND row_no >= ?2"
    " AND row_no <= ?3 ORDER BY row_no";


void
batch_job__cells_encode(struct buf *b, const struct str *cells, const uint8_t *kinds, size_t n)
{
    bool plain = true;
    buf_addch(b, '[');
    for (size_t i = 0; i < n; i++) {
        if (i)
            buf_addch(b, ',');
        json_escape(b, cells[i].p); /* cells are NUL-terminated (io/table.h) */
        plain &= kinds[i] == TABLE_CELL_VALUE;
    }
    for (size_t i = 0; !plain && i < n; i++)
        buf_printf(b, "%s%u", i ? "," : ",[", (unsigned)kinds[i]);
    buf_adds(b, plain ? "]" : "]]");
}

static int
cells_hex(const char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

static void
cells_utf8(struct buf *b, unsigned cp)
{
    char u[4];
    size_t n;
    if (cp < 0x80) {
        u[0] = (char)cp;
        n = 1;
    } else if (cp < 0x800) {
        u[0] = (char)(0xc0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3f));
        n = 2;
    } else if (cp < 0x10000) {
        u[0] = (char)(0xe0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[2] = (char)(0x80 | (cp & 0x3f));
        n = 3;
    } else {
        u[0] = (char)(0xf0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[3] = (char)(0x80 | (cp & 0x3f));
        n = 4;
    }
    buf_add(b, u, n);
}


/* cells_kinds parses the kinds array at p[*i] for the cells [first, n) just decoded. */
static int
cells_kinds(const char *p, size_t end, size_t *i, struct batch_job_cell *cells, size_t first, size_t n)
{
    size_t k = first;
    (*i)++;
    while (*i < end && k < n && p[*i] >= '0' && p[*i] <= '3') {
        cells[k++].kind = (uint8_t)(p[(*i)++] - '0');
        if (*i < end && p[*i] == ',')
            (*i)++;
    }
    if (k != n || *i + 1 != end || p[*i] != ']')
        return ERR_CRYPTO;
    *i = end;
    return 0;
}

/* cells_decode parses p[0..n) (what cells_encode wrote) appending each cell's text and a
 * NUL to text and its place to *cells (grown; *ncells used of *cap). ERR_CRYPTO when malformed:
 * the sealed value opened, so it can only be damaged storage. */
static int
cells_decode(const char *p, size_t n, struct buf *text, struct batch_job_cell **cells, size_t *ncells, size_t *cap)
{
    size_t i = 0, first = *ncells;
    if (n < 2 || p[0] != '[' || p[n - 1] != ']')
        return ERR_CRYPTO;
    i = 1;
    if (i == n - 1)
        return 0;
    for (;;) {
        if (p[i] == '[' && *ncells > first)
            return cells_kinds(p, n - 1, &i, *cells, first, *ncells);
        if (p[i] != '"')
            return ERR_CRYPTO;
        i++;
        if (*ncells == *cap) {
            *cap = *cap ? *cap * 2 : 64;
            *cells = xrealloc(*cells, *cap * sizeof **cells);
        }
        struct batch_job_cell *c = &(*cells)[(*ncells)++];
        c->off = text->len;
        c->kind = TABLE_CELL_VALUE;
        while (i < n - 1 && p[i] != '"') {
            if (p[i] != '\\') {
                size_t j = i;
                while (j < n - 1 && p[j] != '"' && p[j] != '\\')
                    j++;
                buf_add(text, p + i, j - i);
                i = j;
                continue;
            }
            if (i + 1 >= n - 1)
                return ERR_CRYPTO;
            char e = p[i + 1];
            i += 2;
            switch (e) {
            case '"': buf_addch(text, '"'); break;
            case '\\': buf_addch(text, '\\'); break;
            case '/': buf_addch(text, '/'); break;
            case 'b': buf_addch(text, '\b'); break;
            case 'f': buf_addch(text, '\f'); break;
            case 'n': buf_addch(text, '\n'); break;
            case 'r': buf_addch(text, '\r'); break;
            case 't': buf_addch(text, '\t'); break;
            case 'u': {
                unsigned cp, lo;
                if (i + 4 > n - 1 || cells_hex(p + i, &cp))
                    return ERR_CRYPTO;
                i += 4;
                if (cp >= 0xd800 && cp < 0xdc00) {
                    if (i + 6 > n - 1 || p[i] != '\\' || p[i + 1] != 'u' || cells_hex(p + i + 2, &lo) ||
                        lo < 0xdc00 || lo >= 0xe000)
                        return ERR_CRYPTO;
                    i += 6;
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                } else if ((cp >= 0xdc00 && cp < 0xe000) || cp == 0) {
                    return ERR_CRYPTO;
                }
                cells_utf8(text, cp);
                break;
            }
            default:
                return ERR_CRYPTO;
            }
        }
        if (i >= n - 1)
            return ERR_CRYPTO;
        c->len = text->len - c->off;
        buf_addch(text, '\0');
        i++; /* the closing quote */
        if (i == n - 1)
            break;
        if (p[i] != ',')
            return ERR_CRYPTO;
        i++;
    }
    return buf_error(text) ? ERR_TOO_LARGE : 0;
}

/* --- pages of stored rows, opened -------------------------------------------------------- */

void
batch_job__page_init(struct batch_job_page *pg, struct app *app, struct db *db, int64_t id, bool with_results)
{
    memset(pg, 0, sizeof *pg);
    pg->app = app;
    pg->db = db;
    pg->batch_id = id;
    pg->with_results = with_results;
    buf_init(&pg->text, JOB_TEXT_CAP);
    pg->meta = (struct buf)BUF_INIT;
    pg->rows = xcalloc(JOB_PAGE_ROWS, sizeof *pg->rows);
}

void
batch_job__page_wipe(struct batch_job_page *pg)
{
    if (pg->text.alloc)
        wipe(pg->text.data, pg->text.alloc);
    buf_reset(&pg->text);
    buf_reset(&pg->meta);
    pg->ncells = 0;
    pg->nrows = 0;
    pg->pos = 0;
}

void
batch_job__page_rewind(struct batch_job_page *pg)
{
    batch_job__page_wipe(pg);
    pg->next_row_no = 0;
    pg->end = false;
}

void
batch_job__page_release(struct batch_job_page *pg)
{
    batch_job__page_wipe(pg);
    buf_release_secret(&pg->text);
    buf_release(&pg->meta);
    xfree(pg->cells);
    xfree(pg->strs);
    xfree(pg->kinds);
    xfree(pg->rows);
    if (pg->plain)
        xfree_secret(pg->plain, pg->plain_cap);
    memset(pg, 0, sizeof *pg);
}

static size_t
page_meta(struct batch_job_page *pg, struct db_stmt *st, int col)
{
    size_t n = 0, off = pg->meta.len;
    const char *s = db_col_text(st, col, &n);
    if (s)
        buf_add(&pg->meta, s, n);
    buf_addch(&pg->meta, '\0');
    return off;
}

/* page_mac_check: 0 when result row r, just read from st (mac and mac_key in columns 13
 * and 14), is what was stored (issue 12; batch_job_mac.c). */
static int
page_mac_check(struct batch_job_page *pg, struct db_stmt *st, const struct batch_job_page_row *r)
{
    size_t n = 0;
    const char *m = pg->meta.data;
    struct batch_job_res_fields f = { pg->batch_id,   r->row_no,      r->status,         r->first_num,
                                      r->sampled_at,  r->tested_at,   r->found,          r->tested,
                                      r->damaged,     r->tests,       m + r->inst_off,   m + r->result_off,
                                      m + r->site_code_off, m + r->site_name_off };
    const void *mac = db_col_blob(st, 13, &n);
    return batch_job__res_mac_ok(&pg->app->keys, &f, mac, n, db_col_is_null(st, 14) ? -1 : db_col_i64(st, 14),
                                 db_col_is_null(st, 13), pg->mac_upto);
}

/* page_mac_failed turns result row r, whose mac did not hold, into damaged data: status
 * 数据损坏 / damaged (batch.h BATCH_DAMAGED_*), none of its stored values. */
static void
page_mac_failed(struct batch_job_page *pg, struct batch_job_page_row *r)
{
    size_t empty = pg->meta.len;
    buf_addch(&pg->meta, '\0');
    str_copy(r->status, sizeof r->status, idno_status_code(IDNO_OK)); /* a usable ID whose result is damaged */
    r->first_num = 0;
    r->found = r->tested = false;
    r->tests = 0;
    r->sampled_at = r->tested_at = 0;
    r->inst_off = r->result_off = r->site_code_off = r->site_name_off = empty;
    r->damaged = true;
    pg->mac_failed++;
}

int
batch_job__page_audit_damage(struct batch_job_page *pg, const struct actor *a)
{
    char target[40], detail[96];
    if (!pg->mac_failed)
        return 0;
    /* damaged data is evidence (issue 12): audited, besides the log and the counter */
    batch_job__target(pg->batch_id, target, sizeof target);
    snprintf(detail, sizeof detail, "column=batch_results.mac rows=%llu", (unsigned long long)pg->mac_failed);
    pg->mac_failed = 0;
    return audit_record(pg->db, &pg->app->keys, a, "integrity.failure", target, "failed", detail);
}

/* page_load reads the next page; pg->end when there is none. */
static int
page_load(struct batch_job_page *pg)
{
    struct db_stmt *st = NULL;
    bool row = false;
    int rc;

    batch_job__page_wipe(pg);
    if (pg->end)
        return 0;
    if ((rc = db_prepare(pg->db, sql_page_rows, &st)) ||
        (rc = db_bind_i64(st, 1, pg->batch_id)) || (rc = db_bind_i64(st, 2, (int64_t)pg->next_row_no)) ||
        (rc = db_bind_i64(st, 3, JOB_PAGE_ROWS)))
        goto out;
    while (!(rc = db_step(st, &row)) && row) {
        struct batch_job_page_row *r = &pg->rows[pg->nrows];
        size_t n = 0, len = 0;
        const uint8_t *blob = db_col_blob(st, 2, &n);
        memset(r, 0, sizeof *r);
        r->row_no = (uint64_t)db_col_i64(st, 0);
        r->num = (uint64_t)db_col_i64(st, 1);
        if (!blob || n < FIELD_OVERHEAD) {
            rc = ERR_CRYPTO;
            goto out;
        }
        if (n - FIELD_OVERHEAD + 1 > pg->plain_cap) {
            if (pg->plain)
                xfree_secret(pg->plain, pg->plain_cap);
            pg->plain_cap = n - FIELD_OVERHEAD + 1;
            pg->plain = xmalloc(pg->plain_cap);
        }
        if ((rc = field_open(&pg->app->keys, JOB_AD_CELLS, blob, n, pg->plain, pg->plain_cap, &len)))
            goto out;
        r->first = pg->ncells;
        rc = cells_decode((const char *)pg->plain, len, &pg->text, &pg->cells, &pg->ncells, &pg->cap);
        wipe(pg->plain, len);
        if (rc)
            goto out;
        r->ncells = pg->ncells - r->first;
        pg->next_row_no = r->row_no + 1;
        pg->nrows++;
    }
    if (rc)
        goto out;
    db_done(st);
    st = NULL;
    if (pg->nrows < JOB_PAGE_ROWS)
        pg->end = true;
    if (pg->with_results && pg->nrows) {
        size_t k = 0;
        if (!pg->mac_upto_read && (rc = batch_job__res_legacy_upto(pg->db, &pg->mac_upto)))
            goto out;
        pg->mac_upto_read = true;
        if ((rc = db_prepare(pg->db, sql_page_results, &st)) || (rc = db_bind_i64(st, 1, pg->batch_id)) ||
            (rc = db_bind_i64(st, 2, (int64_t)pg->rows[0].row_no)) ||
            (rc = db_bind_i64(st, 3, (int64_t)pg->rows[pg->nrows - 1].row_no)))
            goto out;
        while (!(rc = db_step(st, &row)) && row) {
            uint64_t row_no = (uint64_t)db_col_i64(st, 0);
            while (k < pg->nrows && pg->rows[k].row_no < row_no)
                k++;
            if (k == pg->nrows || pg->rows[k].row_no != row_no)
                continue;
            struct batch_job_page_row *r = &pg->rows[k];
            r->has_result = true;
            batch_job__col_text(st, 1, r->status, sizeof r->status);
            r->first_num = db_col_i64(st, 2);
            r->found = db_col_i64(st, 3) != 0;
            r->tested = db_col_i64(st, 4) != 0;
            r->tests = (unsigned)db_col_i64(st, 5);
            r->sampled_at = db_col_i64(st, 6);
            r->tested_at = db_col_i64(st, 7);
            r->inst_off = page_meta(pg, st, 8);
            r->result_off = page_meta(pg, st, 9);
            r->site_code_off = page_meta(pg, st, 10);
            r->site_name_off = page_meta(pg, st, 11);
            r->damaged = db_col_i64(st, 12) != 0;
            if (!buf_error(&pg->meta) && page_mac_check(pg, st, r))
                page_mac_failed(pg, r);
        }
        if (rc)
            goto out;
    }
    if (buf_error(&pg->meta)) {
        rc = ERR_TOO_LARGE;
        goto out;
    }
    /* slices, now that the text no longer moves */
    if (pg->ncells > pg->strs_cap) {
        pg->strs_cap = pg->ncells;
        pg->strs = xrealloc(pg->strs, pg->strs_cap * sizeof *pg->strs);
        pg->kinds = xrealloc(pg->kinds, pg->strs_cap);
    }
    for (size_t i = 0; i < pg->ncells; i++) {
        pg->strs[i] = (struct str){ pg->text.data + pg->cells[i].off, pg->cells[i].len };
        pg->kinds[i] = pg->cells[i].kind;
    }
    rc = 0;
out:
    db_done(st);
    if (rc == ERR_CRYPTO) {
        char idtext[24];
        snprintf(idtext, sizeof idtext, "%lld", (long long)pg->batch_id);
        log_error("batch.row_unreadable", "batch", idtext, NULL);
    }
    return rc;
}

int
batch_job__cells_decode(const char *p, size_t n, struct buf *text, struct batch_job_cell **cells, size_t *ncells,
                        size_t *cap)
{
    return cells_decode(p, n, text, cells, ncells, cap);
}

/* batch_job__page_next hands out the next row (NULL at the end). */
int
batch_job__page_next(struct batch_job_page *pg, const struct batch_job_page_row **out)
{
    int rc;
    *out = NULL;
    if (pg->pos == pg->nrows) {
        if (pg->end)
            return 0;
        if ((rc = page_load(pg)))
            return rc;
        if (!pg->nrows)
            return 0;
    }
    *out = &pg->rows[pg->pos++];
    return 0;
}

/* --- create ------------------------------------------------------------------------------ */
