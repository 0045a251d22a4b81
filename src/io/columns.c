/* io/columns.c - finding the ID, name and phone columns of an uploaded sheet (R4.3, R4.5).
 *
 * Pure functions over rows already read (io/table.c passes its read-ahead): header names
 * first, values second, as io/columns.h specifies. Nothing here reads files or keeps
 * state, and no cell value leaves this file.
 */
#include "io/columns.h"

#include <string.h>

#include "core/idno.h"
#include "core/str.h"
#include "core/utf8.h"

#define COLUMNS_NORM_MAX 96             /* longer header cells are not column names */
#define COLUMNS_VALUE_MAX 64            /* longer cells are neither IDs nor phones */

struct columns_known {
    const char *norm;                   /* as columns_norm writes it */
    enum columns_kind kind;
};

static const struct columns_known columns_known[] = {
    { "身份证号", COLUMNS_ID }, { "身份证号码", COLUMNS_ID }, { "证件号码", COLUMNS_ID },
    { "公民身份号码", COLUMNS_ID }, { "证件号", COLUMNS_ID }, { "身份证", COLUMNS_ID },
    { "身份证件号码", COLUMNS_ID }, { "居民身份证号码", COLUMNS_ID },
    { "公民身份证号码", COLUMNS_ID }, { "公民身份证号", COLUMNS_ID },
    { "居民身份证号", COLUMNS_ID }, { "身份证件号", COLUMNS_ID }, { "身份号码", COLUMNS_ID },
    { "id", COLUMNS_ID }, { "idnumber", COLUMNS_ID }, { "idno", COLUMNS_ID },
    { "idcard", COLUMNS_ID }, { "idcardno", COLUMNS_ID }, { "idcardnumber", COLUMNS_ID },
    { "姓名", COLUMNS_NAME }, { "名字", COLUMNS_NAME }, { "人员姓名", COLUMNS_NAME },
    { "居民姓名", COLUMNS_NAME }, { "受检人姓名", COLUMNS_NAME }, { "受检者姓名", COLUMNS_NAME },
    { "name", COLUMNS_NAME }, { "fullname", COLUMNS_NAME },
    { "手机号", COLUMNS_PHONE }, { "手机号码", COLUMNS_PHONE }, { "联系电话", COLUMNS_PHONE },
    { "电话", COLUMNS_PHONE }, { "联系方式", COLUMNS_PHONE }, { "电话号码", COLUMNS_PHONE },
    { "手机", COLUMNS_PHONE }, { "移动电话", COLUMNS_PHONE }, { "联系人电话", COLUMNS_PHONE },
    { "本人电话", COLUMNS_PHONE }, { "phone", COLUMNS_PHONE }, { "mobile", COLUMNS_PHONE },
    { "tel", COLUMNS_PHONE }, { "telephone", COLUMNS_PHONE }, { "phonenumber", COLUMNS_PHONE },
    { "mobilephone", COLUMNS_PHONE },
};

/* columns_norm writes the comparable form of a header cell into out (NUL-terminated);
 * false when it is too long to be a column name. */
static bool
columns_norm(struct str in, char out[COLUMNS_NORM_MAX + 1])
{
    size_t i = 0, n = 0;
    if (in.n > 4 * COLUMNS_NORM_MAX)
        return false;
    while (i < in.n) {
        unsigned cp = utf8_next_or_fffd(in.p, in.n, &i);
        cp = utf8_fold_width(cp);               /* full-width ASCII */
        if (cp == 0x3010)
            cp = '[';                           /* 【 */
        else if (cp == 0x3011)
            cp = ']';                           /* 】 */
        if (utf8_is_space(cp) || cp == '*' || cp == '_' || cp == '-' || cp == '.')
            continue;
        if (cp >= 'A' && cp <= 'Z')
            cp += 'a' - 'A';
        char enc[4];
        size_t len;
        if (cp < 0x80) {
            enc[0] = (char)cp;
            len = 1;
        } else if (cp < 0x800) {
            enc[0] = (char)(0xC0 | cp >> 6);
            enc[1] = (char)(0x80 | (cp & 0x3F));
            len = 2;
        } else if (cp < 0x10000) {
            enc[0] = (char)(0xE0 | cp >> 12);
            enc[1] = (char)(0x80 | (cp >> 6 & 0x3F));
            enc[2] = (char)(0x80 | (cp & 0x3F));
            len = 3;
        } else {
            enc[0] = (char)(0xF0 | cp >> 18);
            enc[1] = (char)(0x80 | (cp >> 12 & 0x3F));
            enc[2] = (char)(0x80 | (cp >> 6 & 0x3F));
            enc[3] = (char)(0x80 | (cp & 0x3F));
            len = 4;
        }
        if (n + len > COLUMNS_NORM_MAX)
            return false;
        memcpy(out + n, enc, len);
        n += len;
    }
    n = str_strip_notes(out, n);
    out[n] = '\0';
    return true;
}

enum columns_kind
columns_header_kind(struct str cell)
{
    char norm[COLUMNS_NORM_MAX + 1];
    if (cell.n == 0 || !columns_norm(cell, norm) || !norm[0])
        return COLUMNS_NONE;
    for (size_t i = 0; i < sizeof columns_known / sizeof columns_known[0]; i++)
        if (strcmp(norm, columns_known[i].norm) == 0)
            return columns_known[i].kind;
    return COLUMNS_NONE;
}

const char *
columns_rule_code(enum columns_rule rule)
{
    switch (rule) {
    case COLUMNS_BY_HEADER:
        return "header";
    case COLUMNS_BY_CONTENT:
        return "content";
    default:
        return "not_found";
    }
}

/* What one cell looks like. */
enum columns_look { LOOK_OTHER, LOOK_ID, LOOK_CORRUPTED, LOOK_PHONE };

static enum columns_look
columns_look(struct str v)
{
    char id[IDNO_LEN + 1];
    if (v.n == 0 || v.n > COLUMNS_VALUE_MAX)
        return LOOK_OTHER;
    switch (idno_normalize(v.p, v.n, id)) {
    case IDNO_OK:
    case IDNO_FIXED:
    case IDNO_CONVERTED_15:
    case IDNO_BAD_CHECKSUM:
        return LOOK_ID;
    case IDNO_EXCEL_CORRUPTED:
        return LOOK_CORRUPTED;
    default:
        break;
    }
    /* A mainland mobile number: 1[3-9] and 9 more digits, maybe after +86, with spaces or
     * dashes between groups. */
    char d[16];
    size_t nd = 0;
    for (size_t i = 0; i < v.n; i++) {
        char c = v.p[i];
        if (c >= '0' && c <= '9') {
            if (nd == sizeof d)
                return LOOK_OTHER;
            d[nd++] = c;
        } else if (c != ' ' && c != '-' && !(c == '+' && nd == 0)) {
            return LOOK_OTHER;
        }
    }
    const char *m = d;
    if (nd == 13 && d[0] == '8' && d[1] == '6') {
        m += 2;
        nd -= 2;
    }
    return nd == 11 && m[0] == '1' && m[1] >= '3' && m[1] <= '9' ? LOOK_PHONE : LOOK_OTHER;
}

static struct str
columns_cell(const struct table_row *r, size_t col)
{
    return col < r->ncells ? r->cells[col] : (struct str){ "", 0 };
}

static unsigned
columns_cell_kind(const struct table_row *r, size_t col)
{
    return col < r->ncells && r->kinds ? r->kinds[col] : TABLE_CELL_VALUE;
}

enum idno_status
columns_idno(const struct table_row *row, int col, char out[IDNO_LEN + 1])
{
    struct str cell = col >= 0 ? columns_cell(row, (size_t)col) : (struct str){ "", 0 };
    unsigned kind = col >= 0 ? columns_cell_kind(row, (size_t)col) : TABLE_CELL_VALUE;
    if (kind == TABLE_CELL_FORMULA_UNCACHED) {
        out[0] = '\0';
        return IDNO_FORMULA;
    }
    enum idno_status s = idno_normalize(cell.p, cell.n, out);
    return s == IDNO_OK && kind == TABLE_CELL_FORMULA_LITERAL ? IDNO_FIXED : s;
}

struct columns_stat {
    size_t nonempty, id, corrupted, phone;
};

/* columns_best picks the column with the most values of the wanted look (ID also counting
 * corrupted ones when corrupted is true), holding at least half of its non-empty values;
 * -1 when none. */
static int
columns_best(const struct columns_stat *st, size_t ncols, enum columns_look want,
             bool corrupted, int skip)
{
    int best = -1;
    size_t best_n = 0;
    for (size_t c = 0; c < ncols; c++) {
        size_t k = want == LOOK_PHONE ? st[c].phone : st[c].id + (corrupted ? st[c].corrupted : 0);
        if ((int)c == skip || k == 0 || 2 * k < st[c].nonempty)
            continue;
        if (k > best_n) {
            best = (int)c;
            best_n = k;
        }
    }
    return best;
}

void
columns_detect(const struct table_row *rows, size_t n, struct columns *out)
{
    struct columns_stat stat[TABLE_MAX_COLS];
    size_t ncols = 0, start = 0;
    int header = -1;
    bool corrupted = false;

    *out = (struct columns)COLUMNS_INIT;
    for (size_t r = 0; r < n && r < COLUMNS_HEADER_ROWS && header < 0; r++)
        for (size_t c = 0; c < rows[r].ncells && c < TABLE_MAX_COLS; c++)
            if (columns_header_kind(rows[r].cells[c]) != COLUMNS_NONE) {
                header = (int)r;
                break;
            }
    if (header >= 0)
        start = (size_t)header + 1;
    memset(stat, 0, sizeof stat);
    for (size_t r = start; r < n; r++) {
        size_t nc = rows[r].ncells < TABLE_MAX_COLS ? rows[r].ncells : TABLE_MAX_COLS;
        if (nc > ncols)
            ncols = nc;
        for (size_t c = 0; c < nc; c++) {
            struct str v = rows[r].cells[c];
            unsigned kind = columns_cell_kind(&rows[r], c);
            if (v.n == 0 && kind != TABLE_CELL_FORMULA_UNCACHED)
                continue;
            stat[c].nonempty++;
            if (kind == TABLE_CELL_FORMULA_UNCACHED || kind == TABLE_CELL_DATE)
                continue;                           /* looks like nothing */
            switch (columns_look(v)) {
            case LOOK_ID:
                stat[c].id++;
                break;
            case LOOK_CORRUPTED:
                stat[c].corrupted++;
                break;
            case LOOK_PHONE:
                stat[c].phone++;
                break;
            default:
                break;
            }
        }
    }

    /* By header. */
    if (header >= 0) {
        const struct table_row *h = &rows[header];
        out->header_row = h->num;
        for (size_t c = 0; c < h->ncells && c < TABLE_MAX_COLS; c++) {
            enum columns_kind k = columns_header_kind(h->cells[c]);
            if (k == COLUMNS_ID) {
                if (out->id < 0 || stat[c].id > stat[out->id].id ||
                    (stat[c].id == stat[out->id].id && stat[c].corrupted > stat[out->id].corrupted))
                    out->id = (int)c;
            } else if (k == COLUMNS_NAME && out->name < 0) {
                out->name = (int)c;
            } else if (k == COLUMNS_PHONE && out->phone < 0) {
                out->phone = (int)c;
            }
        }
        if (out->id >= 0)
            out->id_rule = COLUMNS_BY_HEADER;
        if (out->name >= 0)
            out->name_rule = COLUMNS_BY_HEADER;
        if (out->phone >= 0)
            out->phone_rule = COLUMNS_BY_HEADER;
    }

    /* By content. */
    int best = columns_best(stat, ncols, LOOK_ID, false, -1);
    if (best < 0) {
        best = columns_best(stat, ncols, LOOK_ID, true, -1);
        corrupted = true;
    }
    if (best >= 0 && (out->id < 0 || (best != out->id && stat[out->id].id == 0 &&
                                       stat[out->id].corrupted == 0))) {
        out->id = best;
        out->id_rule = COLUMNS_BY_CONTENT;
        if (header < 0) {
            /* A header row nobody named: just above the first ID-like value. */
            size_t first = 0;
            while (first < n) {
                enum columns_look l = columns_look(columns_cell(&rows[first], (size_t)best));
                if (l == LOOK_ID || (corrupted && l == LOOK_CORRUPTED))
                    break;
                first++;
            }
            if (first >= 1 && first <= COLUMNS_HEADER_ROWS && first < n) {
                struct str hv = columns_cell(&rows[first - 1], (size_t)best);
                bool digits = false;
                for (size_t i = 0; i < hv.n; i++)
                    digits |= hv.p[i] >= '0' && hv.p[i] <= '9';
                if (hv.n && !digits) {
                    header = (int)(first - 1);
                    start = first;
                    out->header_row = rows[first - 1].num;
                }
            }
        }
    }
    if (out->phone < 0) {
        int ph = columns_best(stat, ncols, LOOK_PHONE, false, out->id);
        if (ph >= 0) {
            out->phone = ph;
            out->phone_rule = COLUMNS_BY_CONTENT;
        }
    }

    out->sample_rows = n > start ? n - start : 0;
    if (out->id >= 0)
        for (size_t r = start; r < n; r++)
            out->id_like += columns_look(columns_cell(&rows[r], (size_t)out->id)) == LOOK_ID;
}
