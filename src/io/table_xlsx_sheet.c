/* io/table_xlsx_sheet.c - the sheet stream of the .xlsx reader of io/table.h (R4.3-R4.5).
 *
 * A sheet is never loaded: its XML is parsed from zip_fread chunks and expat is suspended
 * at the end of each non-empty row, so a row is handed out while the rest of the sheet is
 * still compressed. This file collects each cell's type, style, formula and stored text;
 * table_xlsx_value.c says what a formula or a date serial becomes. It does not decide what
 * a value means, nor which sheet is read.
 */
#include "io/table_xlsx.h"

#include <inttypes.h>
#include <string.h>

#include "core/alloc.h"
#include "core/err.h"

static void
xlsx_row_reset(struct xlsx__stream *st)
{
    for (size_t i = 0; i < st->touched; i++) {
        st->len[i] = 0;
        st->kind[i] = TABLE_CELL_VALUE;
    }
    st->touched = st->ncols = 0;
    buf_reset(&st->text);
}

/* xlsx_parse_ref reads the column of a cell reference "AB12" (letters, then digits). */
static bool
xlsx_parse_ref(const char *r, size_t *col)
{
    size_t c = 0, letters = 0;
    for (; *r >= 'A' && *r <= 'Z'; r++, letters++) {
        if (letters == 3)
            return false;
        c = c * 26 + (size_t)(*r - 'A' + 1);
    }
    if (letters == 0 || c > XLSX_MAX_COL)
        return false;
    if (*r < '1' || *r > '9')
        return false;
    while (*r >= '0' && *r <= '9')
        r++;
    if (*r)
        return false;
    *col = c - 1;
    return true;
}

static enum xlsx__type
xlsx_cell_type(const char *t)
{
    if (!t)
        return XLSX_T_NUM;
    if (strcmp(t, "str") == 0 || strcmp(t, "d") == 0)
        return XLSX_T_STR;              /* "d": ISO 8601 text, kept as written */
    if (strcmp(t, "s") == 0)
        return XLSX_T_SST;
    if (strcmp(t, "inlineStr") == 0)
        return XLSX_T_INLINE;
    if (strcmp(t, "b") == 0)
        return XLSX_T_BOOL;
    if (strcmp(t, "e") == 0)
        return XLSX_T_ERR;
    return XLSX_T_NUM;                  /* "n", and what no spreadsheet writes */
}

static void
xlsx_cell_start(struct xlsx__stream *st, const XML_Char **atts)
{
    const char *r = xlsx__xml_attr(atts, "r", false), *t = xlsx__xml_attr(atts, "t", false);
    const char *s = xlsx__xml_attr(atts, "s", false);
    if (r) {
        if (!xlsx_parse_ref(r, &st->col)) {
            xlsx__xml_fail(&st->b, ERR_INVALID, "sheet row %" PRIu64 ": a cell reference is "
                           "malformed", st->row_num);
            return;
        }
    } else {
        st->col = st->next_col;
    }
    st->next_col = st->col + 1;
    st->type = xlsx_cell_type(t);
    if (!s || !xlsx__parse_u64(s, UINT32_MAX, &st->style))
        st->style = 0;                  /* a damaged style is no style: the value stays */
    st->in_cell = true;
    st->in_is = st->has_f = st->has_v = st->f_over = false;
    st->capture = XLSX_CAP_NONE;
    st->rph = 0;
    st->mark = st->text.len;
    buf_reset(&st->ftext);
}

/* xlsx_cell_stored turns the stored text at text[mark..] into the cell's text: a shared
 * string looked up, a boolean spelled, inline and formula strings unescaped. False (and
 * the parser stopped) on a bad shared-string reference. */
static bool
xlsx_cell_stored(struct xlsx__stream *st)
{
    char *p = st->text.data + st->mark;
    size_t n = st->text.len - st->mark;
    struct str s, v;
    uint64_t idx;
    char num[24];
    int rc;

    switch (st->type) {
    case XLSX_T_SST:
        v = str_trim((struct str){ p, n });
        if (v.n == 0)
            return true;
        if (v.n < sizeof num) {
            memcpy(num, v.p, v.n);
            num[v.n] = '\0';
        }
        if (v.n >= sizeof num || !xlsx__parse_u64(num, UINT64_MAX, &idx)) {
            xlsx__xml_fail(&st->b, ERR_INVALID, "sheet row %" PRIu64 ": a shared-string "
                           "reference is not a number", st->row_num);
            return false;
        }
        if ((rc = xlsx__sst_get(&st->x->sst, idx, &s))) {
            if (rc == ERR_TOO_LARGE)
                xlsx__xml_fail(&st->b, rc, "sheet row %" PRIu64 ": a cell is longer than %d "
                               "bytes", st->row_num, TABLE_MAX_CELL);
            else
                xlsx__xml_fail(&st->b, rc, "sheet row %" PRIu64 ": a cell refers to shared "
                               "string %" PRIu64 ", which does not exist", st->row_num, idx);
            return false;
        }
        st->text.len = st->mark;
        buf_add(&st->text, s.p, s.n);
        return true;
    case XLSX_T_BOOL:
        if (n == 1 && (p[0] == '0' || p[0] == '1')) {
            st->text.len = st->mark;
            buf_adds(&st->text, p[0] == '1' ? "TRUE" : "FALSE");
        }
        return true;
    case XLSX_T_INLINE:
    case XLSX_T_STR:
        st->text.len = st->mark + xlsx__xml_unescape(p, n);
        return true;
    default:
        return true;
    }
}

/* xlsx_cell_formula applies the cell's formula. A literal makes the cell FORMULA_LITERAL:
 * its cached result is kept when there is one of the literal's type (t="str" for a
 * string, a number otherwise), else the literal's value is used (scripts cache nothing;
 * libxlsxwriter caches the number 0 for every formula, also for a string). Any other
 * formula keeps its cached result or, without one, makes the cell FORMULA_UNCACHED; a
 * formula string cached as "" (t="str" with a <v>) is a real empty result. *number tells
 * whether the text is a number. */
static uint8_t
xlsx_cell_formula(struct xlsx__stream *st, bool *number)
{
    size_t cached = st->text.len - st->mark;
    bool lnum = false;
    if (!st->f_over && xlsx__formula_literal(st->ftext.data, st->ftext.len, &st->text, &lnum)) {
        bool fits = lnum ? st->type == XLSX_T_NUM : st->type == XLSX_T_STR;
        if (cached && fits) {
            st->text.len = st->mark + cached;       /* the cache stays, the evaluation goes */
        } else if (cached) {
            memmove(st->text.data + st->mark, st->text.data + st->mark + cached,
                    st->text.len - st->mark - cached);
            st->text.len -= cached;
            *number = lnum;
        } else {
            *number = lnum;
        }
        return TABLE_CELL_FORMULA_LITERAL;
    }
    if (cached || (st->has_v && st->type == XLSX_T_STR))
        return TABLE_CELL_VALUE;
    return TABLE_CELL_FORMULA_UNCACHED;
}

static void
xlsx_cell_end(struct xlsx__stream *st)
{
    uint8_t kind = TABLE_CELL_VALUE;
    bool number = st->type == XLSX_T_NUM;
    char date[XLSX_DATE_MAX];
    size_t n;

    st->in_cell = false;
    if (!xlsx_cell_stored(st))
        return;
    if (st->has_f)
        kind = xlsx_cell_formula(st, &number);
    n = st->text.len - st->mark;
    if (number && n && !buf_error(&st->text) &&
        xlsx__styles_is_date(&st->x->styles, st->style) &&
        xlsx__date_text(st->text.data + st->mark, n, st->x->date1904, date)) {
        st->text.len = st->mark;
        buf_adds(&st->text, date);
        kind = TABLE_CELL_DATE;
    }
    n = st->text.len - st->mark;
    if (buf_error(&st->text)) {
        xlsx__xml_fail(&st->b, ERR_TOO_LARGE, "sheet row %" PRIu64 ": the row holds too much "
                       "text", st->row_num);
        return;
    }
    if (n == 0 && kind != TABLE_CELL_FORMULA_UNCACHED) {    /* an empty cell takes no place */
        st->text.len = st->mark;
        if (st->text.alloc)
            st->text.data[st->mark] = '\0';
        return;
    }
    if (st->col >= TABLE_MAX_COLS) {
        xlsx__xml_fail(&st->b, ERR_TOO_LARGE, "sheet row %" PRIu64 ": a value lies beyond "
                       "column %d (IV)", st->row_num, TABLE_MAX_COLS);
        return;
    }
    buf_addch(&st->text, '\0');
    st->off[st->col] = st->mark;
    st->len[st->col] = n;
    st->kind[st->col] = kind;
    if (st->col + 1 > st->touched)
        st->touched = st->col + 1;
    if (st->col + 1 > st->ncols)
        st->ncols = st->col + 1;
}

static void
xlsx_sheet_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    struct xlsx__stream *st = ud;
    if (!xlsx__xml_enter(&st->b))
        return;
    const char *local = xlsx__xml_local(name);
    if (!st->in_row) {
        if (!st->in_data) {
            if (strcmp(local, "sheetData") == 0)
                st->in_data = true;
        } else if (strcmp(local, "row") == 0) {
            const char *r = xlsx__xml_attr(atts, "r", false);
            uint64_t num = st->last_num + 1;
            if (r && !xlsx__parse_u64(r, UINT64_MAX, &num)) {
                xlsx__xml_fail(&st->b, ERR_INVALID, "sheet row %" PRIu64 ": the row number is "
                         "malformed", st->last_num + 1);
                return;
            }
            if (num == 0) {
                xlsx__xml_fail(&st->b, ERR_INVALID, "the workbook is damaged (a row is numbered 0)");
                return;
            }
            if (num > TABLE_MAX_ROWS) {
                xlsx__xml_fail(&st->b, ERR_TOO_LARGE, "the sheet has more than %" PRIu64 " rows",
                         TABLE_MAX_ROWS);
                return;
            }
            xlsx_row_reset(st);
            st->row_num = num;
            st->in_row = true;
            st->next_col = 0;
        }
        return;
    }
    if (!st->in_cell) {
        if (strcmp(local, "c") == 0)
            xlsx_cell_start(st, atts);
        return;
    }
    if (strcmp(local, "v") == 0) {
        st->has_v = st->type != XLSX_T_INLINE;
        st->capture = st->has_v ? XLSX_CAP_TEXT : XLSX_CAP_NONE;
    } else if (strcmp(local, "f") == 0) {
        st->has_f = true;
        st->capture = XLSX_CAP_FORMULA;
    } else if (strcmp(local, "is") == 0) {
        st->in_is = true;
    } else if (strcmp(local, "rPh") == 0) {
        st->rph++;
    } else if (strcmp(local, "t") == 0) {
        bool inl = st->in_is && st->type == XLSX_T_INLINE && st->rph == 0;
        st->capture = inl ? XLSX_CAP_TEXT : XLSX_CAP_NONE;
    }
}

static void
xlsx_sheet_end(void *ud, const XML_Char *name)
{
    struct xlsx__stream *st = ud;
    st->b.depth--;
    const char *local = xlsx__xml_local(name);
    if (st->in_cell) {
        if (strcmp(local, "v") == 0 || strcmp(local, "t") == 0 || strcmp(local, "f") == 0)
            st->capture = XLSX_CAP_NONE;
        else if (strcmp(local, "is") == 0)
            st->in_is = false;
        else if (strcmp(local, "rPh") == 0)
            st->rph -= st->rph > 0;
        else if (strcmp(local, "c") == 0)
            xlsx_cell_end(st);
        return;
    }
    if (st->in_row) {
        if (strcmp(local, "row") == 0) {
            st->in_row = false;
            st->last_num = st->row_num;
            if (st->ncols) {
                st->row_ready = true;
                XML_StopParser(st->b.p, XML_TRUE);
            }
        }
        return;
    }
    if (st->in_data && strcmp(local, "sheetData") == 0)
        st->in_data = false;
}

static void
xlsx_sheet_chars(void *ud, const XML_Char *s, int len)
{
    struct xlsx__stream *st = ud;
    if (st->capture == XLSX_CAP_FORMULA) {
        if (st->f_over || st->ftext.len + (size_t)len > TABLE_MAX_CELL)
            st->f_over = true;          /* no literal is that long: simply not one */
        else
            buf_add(&st->ftext, s, (size_t)len);
        return;
    }
    if (st->capture != XLSX_CAP_TEXT)
        return;
    if (st->text.len - st->mark + (size_t)len > TABLE_MAX_CELL) {
        xlsx__xml_fail(&st->b, ERR_TOO_LARGE, "sheet row %" PRIu64 ": a cell is longer than %d bytes",
                 st->row_num, TABLE_MAX_CELL);
        return;
    }
    buf_add(&st->text, s, (size_t)len);
}

void
xlsx__stream_close(struct xlsx__stream *st)
{
    xlsx__member_close(&st->m);
    xlsx__xml_free(&st->b);
    st->open = false;
}

int
xlsx__stream_start(struct table__xlsx *x, zip_int64_t index, struct buf *msg)
{
    struct xlsx__stream *st = &x->st;
    xlsx__stream_close(st);
    st->suspended = st->final = st->row_ready = false;
    st->in_data = st->in_row = st->in_cell = st->in_is = false;
    st->capture = XLSX_CAP_NONE;
    st->rph = 0;
    st->row_num = st->last_num = 0;
    xlsx_row_reset(st);
    xlsx__xml_new(&st->b, xlsx_sheet_start, xlsx_sheet_end, xlsx_sheet_chars);
    st->b.msg = msg;
    int rc = xlsx__member_open(x, index, "sheet", &st->m, msg);
    if (rc)
        return rc;
    st->open = true;
    return 0;
}

int
xlsx__stream_next(struct table__xlsx *x, struct table_row *row, struct buf *msg)
{
    struct xlsx__stream *st = &x->st;
    enum XML_Status s;
    int rc;

    *row = (struct table_row){ NULL, NULL, 0, 0 };
    if (!st->open)
        return 0;
    st->b.msg = msg;
    st->row_ready = false;
    for (;;) {
        if (st->suspended) {
            st->suspended = false;
            s = XML_ResumeParser(st->b.p);
        } else if (st->final) {
            return 0;
        } else {
            size_t got, want = xlsx__member_want(&st->m);
            void *p = XML_GetBuffer(st->b.p, (int)want);
            if (!p)
                return ERR_INTERNAL;
            if ((rc = xlsx__member_read(&st->m, p, want, &got, msg)))
                return rc;
            st->final = got == 0;
            s = XML_ParseBuffer(st->b.p, (int)got, st->final);
        }
        if (s == XML_STATUS_ERROR) {
            if (st->b.rc)
                return st->b.rc;
            buf_printf(msg, "the workbook is damaged (sheet, XML line %lu: %s)",
                       (unsigned long)XML_GetCurrentLineNumber(st->b.p),
                       XML_ErrorString(XML_GetErrorCode(st->b.p)));
            return ERR_INVALID;
        }
        if (s == XML_STATUS_SUSPENDED) {
            st->suspended = true;
            if (st->row_ready)
                break;
        }
    }
    for (size_t c = 0; c < st->ncols; c++)
        st->out[c] = st->len[c] ? (struct str){ st->text.data + st->off[c], st->len[c] }
                                : (struct str){ "", 0 };
    *row = (struct table_row){ st->out, st->kind, st->ncols, st->row_num };
    return 0;
}

